package dev.proxima.nn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Property(tries = 40)
    void aLogGetsALinePerTenthAndOneAtTheEndWithEveryBatchCounted(@ForAll @IntRange(min = 1, max = 300) int n,
                                                                 @ForAll @IntRange(min = 1, max = 17) int batch) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataLoader loader = DataLoader.of(DataLoaderTest.numbered(n), batch);
        Progress<Batch> bar = Progress.over(loader).label("epoch 1").to(new PrintStream(buf, true, StandardCharsets.UTF_8), false);
        int seen = 0;
        for (Batch b : bar) {
            seen++;
            bar.set("loss", 1.0 / seen);
        }
        assertEquals(loader.numBatches(), seen);
        assertEquals(seen, bar.done());
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.size() >= 1 && lines.size() <= 11, lines.toString());
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("epoch 1 100%|####################| " + seen + "/" + seen + " ["), last);
        // The value set while the last batch ran shows with it.
        assertTrue(last.endsWith(String.format(java.util.Locale.ROOT, " loss=%.4g", 1.0 / seen)), last);
        for (String l : lines) assertTrue(l.contains("/" + seen + " ["), l);
    }

    @Test
    void aTerminalGetsOneRedrawnLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress<Integer> bar = Progress.over(List.of(1, 2, 3), 3).to(new PrintStream(buf, true, StandardCharsets.UTF_8), true);
        int sum = 0;
        for (int i : bar) sum += i;
        assertEquals(6, sum);
        String s = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, s.chars().filter(c -> c == '\n').count(), s); // redrawn with carriage returns, one newline at the end
        assertEquals(3, s.chars().filter(c -> c == '\r').count(), s);
        assertTrue(s.substring(s.lastIndexOf('\r') + 1).startsWith("100%|####################| 3/3 ["), s);
    }
}
