package dev.proxima.nn.data;

import dev.proxima.nn.io.MalformedFileException;
import dev.proxima.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28x28 grey images of clothing in 10
 * classes, 60,000 for training and 10,000 for testing. Debian's {@code dataset-fashion-mnist}
 * package installs the four IDX files under {@link #DEFAULT_DIR}.
 *
 * <p>{@link #load} returns an {@link ArrayDataset} of float32 images [N, 1, 28, 28] and int32
 * labels [N]. Pixels are scaled to [0, 1]; {@link #load(Path, boolean, double, double)} also
 * standardises them, {@code (p - mean) / std}, e.g. with the training set's
 * {@link #MEAN} and {@link #STD}.
 */
public final class FashionMnist {
    private FashionMnist() {}

    /** Where Debian's {@code dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Mean and standard deviation of the training pixels scaled to [0, 1]. */
    public static final double MEAN = 0.2860, STD = 0.3530;

    public static final int CLASSES = 10, HEIGHT = 28, WIDTH = 28;

    /** Class names, indexed by label. */
    public static final String[] LABELS = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

    /** The training or test split from {@link #DEFAULT_DIR}, pixels in [0, 1]. */
    public static ArrayDataset load(boolean train) throws IOException {
        return load(DEFAULT_DIR, train);
    }

    /** The training or test split from {@code dir}, pixels in [0, 1]. */
    public static ArrayDataset load(Path dir, boolean train) throws IOException {
        return load(dir, train, 0, 1);
    }

    /** The training or test split from {@code dir}, pixels scaled to [0, 1] then mapped to {@code (p - mean) / std}. */
    public static ArrayDataset load(Path dir, boolean train, double mean, double std) throws IOException {
        if (!(std > 0) || !Double.isFinite(mean))
            throw new IllegalArgumentException("FashionMnist.load: std must be positive and mean finite, got mean " + mean + ", std " + std);
        String prefix = train ? "train" : "t10k";
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        Idx.Data images = Idx.read(imagesFile);
        Idx.Data labels = Idx.read(labelsFile);
        int[] is = images.shape();
        if (images.type() != Idx.Type.UBYTE || is.length != 3 || is[1] != HEIGHT || is[2] != WIDTH)
            throw new MalformedFileException(imagesFile, "expected ubyte images [N, 28, 28], got " + images.type() + " " + Arrays.toString(is));
        int[] ls = labels.shape();
        if (labels.type() != Idx.Type.UBYTE || ls.length != 1 || ls[0] != is[0])
            throw new MalformedFileException(labelsFile, "expected " + is[0] + " ubyte labels (one per image in " + imagesFile.getFileName()
                    + "), got " + labels.type() + " " + Arrays.toString(ls));
        int[] y = labels.toIntArray();
        for (int i = 0; i < y.length; i++)
            if (y[i] >= CLASSES)
                throw new MalformedFileException(labelsFile, "label " + i + " is " + y[i] + ", outside 0.." + (CLASSES - 1));
        // One pass from bytes to standardised floats: a lookup table of the 256 pixel values.
        float[] table = new float[256];
        for (int v = 0; v < 256; v++) table[v] = (float) ((v / 255.0 - mean) / std);
        byte[] raw = images.raw();
        float[] x = new float[raw.length];
        for (int i = 0; i < raw.length; i++) x[i] = table[raw[i] & 0xFF];
        return new ArrayDataset(
                new ArrayDataset.Column(x, DType.FLOAT32, is[0], new int[] {1, HEIGHT, WIDTH}),
                new ArrayDataset.Column(y, DType.INT32, y.length, new int[0]));
    }

    /** {@code name.gz} or {@code name} in {@code dir}; a missing file says how to get it. */
    private static Path find(Path dir, String name) throws IOException {
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) return gz;
        Path plain = dir.resolve(name);
        if (Files.isRegularFile(plain)) return plain;
        throw new NoSuchFileException(gz.toString(), null,
                "Fashion-MNIST: neither " + name + ".gz nor " + name + " is in " + dir
                        + (dir.equals(DEFAULT_DIR)
                                ? "; install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
                                : "; pass the directory that holds the IDX files, e.g. " + DEFAULT_DIR
                                        + " from Debian's dataset-fashion-mnist"));
    }
}
