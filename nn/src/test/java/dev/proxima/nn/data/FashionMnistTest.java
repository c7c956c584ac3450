package dev.proxima.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxima.nn.io.MalformedFileException;
import dev.proxima.tensor.Rng;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    private static boolean installed() {
        return Files.isRegularFile(FashionMnist.DEFAULT_DIR.resolve("t10k-images-idx3-ubyte.gz"));
    }

    @Test
    void fullTrainingSetLoadsWithBalancedClassesAndTheDocumentedStatistics() throws IOException {
        assumeTrue(installed(), "Debian's dataset-fashion-mnist is not installed");
        ArrayDataset train = FashionMnist.load(true);
        assertEquals(60_000, train.size());
        assertArrayEquals(new int[] {1, 28, 28}, train.exampleShape());
        assertArrayEquals(new int[0], train.targetShape());
        double sum = 0, sq = 0;
        long pixels = 0;
        int[] counts = new int[FashionMnist.CLASSES];
        for (Batch b : DataLoader.of(train, 10_000)) { // in chunks: no second full copy of the images
            assertArrayEquals(new int[] {10_000, 1, 28, 28}, b.x().shape());
            for (float v : b.x().toFloatArray()) {
                if (!(v >= 0 && v <= 1)) fail("pixel " + v + " outside [0, 1]");
                sum += v;
                sq += (double) v * v;
                pixels++;
            }
            for (int y : b.y().data().toIntArray()) counts[y]++;
        }
        double mean = sum / pixels, std = Math.sqrt(sq / pixels - mean * mean);
        assertEquals(FashionMnist.MEAN, mean, 5e-4);
        assertEquals(FashionMnist.STD, std, 5e-4);
        for (int c : counts) assertEquals(6_000, c); // Fashion-MNIST's training split is balanced
    }

    @Test
    void testSetMatchesAnIndependentDecodeAndNormalises() throws IOException {
        assumeTrue(installed(), "Debian's dataset-fashion-mnist is not installed");
        ArrayDataset test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false);
        assertEquals(10_000, test.size());
        // Decode image 9999 and its label straight from the gzip streams.
        byte[] pixels = new byte[784];
        int label;
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(
                FashionMnist.DEFAULT_DIR.resolve("t10k-images-idx3-ubyte.gz"))))) {
            in.skipNBytes(16 + 9_999L * 784);
            in.readFully(pixels);
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(FashionMnist.DEFAULT_DIR.resolve("t10k-labels-idx1-ubyte.gz")))) {
            in.skipNBytes(8 + 9_999L);
            label = in.read();
        }
        Batch b = test.get(9_999);
        float[] x = b.x().toFloatArray();
        for (int i = 0; i < 784; i++) assertEquals((pixels[i] & 0xFF) / 255f, x[i], 1e-7f);
        assertEquals(label, b.y().data().toIntArray()[0]);

        ArrayDataset norm = FashionMnist.load(FashionMnist.DEFAULT_DIR, false, FashionMnist.MEAN, FashionMnist.STD);
        float[] xn = norm.get(9_999).x().toFloatArray();
        for (int i = 0; i < 784; i++) assertEquals((x[i] - FashionMnist.MEAN) / FashionMnist.STD, xn[i], 1e-5);

        Dataset small = test.subset(100);
        assertEquals(100, small.size());
        assertArrayEquals(test.get(new int[] {99, 0}).x().toFloatArray(), small.get(new int[] {99, 0}).x().toFloatArray());
        assertThrows(IndexOutOfBoundsException.class, () -> small.get(100));
    }

    @Test
    void plainFilesInAnotherDirectoryLoad(@TempDir Path dir) throws IOException {
        Rng r = new Rng(3);
        int n = 7;
        byte[] images = new byte[n * 784], labels = new byte[n];
        for (int i = 0; i < images.length; i++) images[i] = (byte) r.nextInt(256);
        for (int i = 0; i < n; i++) labels[i] = (byte) r.nextInt(10);
        Idx.write(dir.resolve("train-images-idx3-ubyte"), Idx.Type.UBYTE, new int[] {n, 28, 28}, images, false);
        Idx.write(dir.resolve("train-labels-idx1-ubyte"), Idx.Type.UBYTE, new int[] {n}, labels, false);
        ArrayDataset d = FashionMnist.load(dir, true);
        Batch b = d.get(range(n));
        float[] x = b.x().toFloatArray();
        for (int i = 0; i < images.length; i++) assertEquals((images[i] & 0xFF) / 255f, x[i]);
        int[] y = b.y().data().toIntArray();
        for (int i = 0; i < n; i++) assertEquals(labels[i], y[i]);

        // Labels that do not match the images, or outside 0..9, name the labels file.
        Idx.write(dir.resolve("train-labels-idx1-ubyte"), Idx.Type.UBYTE, new int[] {n - 1}, new byte[n - 1], false);
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> FashionMnist.load(dir, true));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte") && e.getMessage().contains("7 ubyte labels"), e.getMessage());
        labels[3] = 10;
        Idx.write(dir.resolve("train-labels-idx1-ubyte"), Idx.Type.UBYTE, new int[] {n}, labels, false);
        e = assertThrows(MalformedFileException.class, () -> FashionMnist.load(dir, true));
        assertTrue(e.getMessage().contains("label 3 is 10"), e.getMessage());
    }

    @Test
    void missingFilesSayWhatToPassOrInstall(@TempDir Path dir) {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> FashionMnist.load(dir, false));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("t10k-images-idx3-ubyte")
                && e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
