package dev.proxima.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.nn.io.MalformedFileException;
import dev.proxima.tensor.Rng;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class CharDatasetTest {
    static final String ALPHABET = "abcde XYZ\n.é名😀🎉";

    static String randomText(Rng r, int n) {
        int[] cps = ALPHABET.codePoints().toArray();
        StringBuilder b = new StringBuilder();
        int k = Math.min(cps.length, 1 + r.nextInt(cps.length)); // a random sub-alphabet
        for (int i = 0; i < n; i++) b.appendCodePoint(cps[r.nextInt(k)]);
        return b.toString();
    }

    @Property(tries = 100)
    void windowsAndNextCharacterTargets(@ForAll long seed) {
        Rng r = new Rng(seed);
        int t = 1 + r.nextInt(8);
        String text = randomText(r, t + 1 + r.nextInt(40));
        int[] cps = text.codePoints().toArray();
        CharDataset d = CharDataset.of(text, t);
        assertEquals(cps.length - t, d.size());
        assertEquals(cps.length, d.length());
        // The vocabulary: the distinct code points, increasing.
        int[] vocab = d.vocabulary().codePoints().toArray();
        assertArrayEquals(text.codePoints().distinct().sorted().toArray(), vocab);
        assertEquals(vocab.length, d.vocabSize());
        assertEquals(text, d.decode(d.encode(text)));

        int[] idx = new int[1 + r.nextInt(5)];
        for (int k = 0; k < idx.length; k++) idx[k] = r.nextInt(d.size());
        Batch b = d.get(idx);
        assertArrayEquals(new int[] {idx.length, t}, b.x().shape());
        assertArrayEquals(new int[] {idx.length, t}, b.y().shape());
        for (int k = 0; k < idx.length; k++) {
            String window = new String(cps, idx[k], t), next = new String(cps, idx[k] + 1, t);
            assertEquals(window, d.decode(b.x().select(0, k)));
            assertEquals(next, d.decode(b.y().select(0, k)));
        }
    }

    @Example
    void fileWithBomAndInvalidFile() throws IOException {
        Path dir = Files.createTempDirectory("chars");
        try {
            Path good = dir.resolve("tiny.txt");
            String text = "to be or not to be — 名前 😀\n";
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            byte[] withBom = new byte[utf8.length + 3];
            withBom[0] = (byte) 0xEF; withBom[1] = (byte) 0xBB; withBom[2] = (byte) 0xBF;
            System.arraycopy(utf8, 0, withBom, 3, utf8.length);
            Files.write(good, withBom);
            CharDataset d = CharDataset.fromFile(good, 4);
            assertEquals(CharDataset.of(text, 4).vocabulary(), d.vocabulary());
            assertEquals(text, d.decode(d.encode(text)));

            Path bad = dir.resolve("bad.txt");
            Files.write(bad, new byte[] {'a', 'b', 'c', (byte) 0xC3, '(', 'd'});
            MalformedFileException e = assertThrows(MalformedFileException.class, () -> CharDataset.fromFile(bad, 2));
            assertTrue(e.getMessage().contains("bad.txt") && e.getMessage().contains("at byte 3"), e.getMessage());
            Files.delete(good);
            Files.delete(bad);
        } finally {
            Files.delete(dir);
        }
    }

    @Example
    void errorsAndSplit() {
        CharDataset d = CharDataset.of("hello world", 3);
        assertThrows(IllegalArgumentException.class, () -> d.encode("hello!"));
        assertThrows(IllegalArgumentException.class, () -> d.decode(d.vocabSize()));
        assertThrows(IllegalArgumentException.class, () -> CharDataset.of("abc", 3));
        assertThrows(IndexOutOfBoundsException.class, () -> d.get(d.size()));
        CharDataset.Split s = CharDataset.of("abcabcabcabcabcabcxyz", 3).split(0.5);
        assertEquals(s.train().vocabulary(), s.validation().vocabulary());
        assertEquals(21, s.train().length() + s.validation().length());
        assertEquals("abcabcabca", s.train().decode(s.train().encode("abcabcabca")));
    }
}
