package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures decode, have their size, and are drawn (not a blank canvas). */
class PlotsTest {
    @TempDir
    Path tmp;

    /** Decodes {@code png} and checks its size and that its pixels vary (a drawn figure, not a blank one). */
    static BufferedImage assertDrawn(Path png, int width, int height) throws IOException {
        assertTrue(Files.isRegularFile(png), png + " was not written");
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " does not decode");
        assertEquals(width, image.getWidth(), png + ": width");
        assertEquals(height, image.getHeight(), png + ": height");
        double sum = 0, sq = 0;
        int n = 0, coloured = 0;
        for (int y = 0; y < image.getHeight(); y += 2)
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y), r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
                double lum = 0.299 * r + 0.587 * g + 0.114 * b;
                sum += lum;
                sq += lum * lum;
                n++;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) coloured++;
            }
        double variance = sq / n - (sum / n) * (sum / n);
        assertTrue(variance > 100, png + " looks blank: pixel variance " + variance);
        assertTrue(coloured > 200, png + " has no coloured series (" + coloured + " coloured pixels)");
        return image;
    }

    private static List<MetricsLog.Row> run(int steps, int evaluations, boolean apo) {
        List<MetricsLog.Row> rows = new ArrayList<>();
        for (int s = 1; s <= steps; s++) {
            double lr = apo ? 0.03 + 0.025 * s / steps : Double.NaN; // 0.03 to 0.055: inside one decade
            rows.add(new MetricsLog.Row(s, 1, 2.3 * Math.exp(-3.0 * s / steps) + 0.3, lr, Double.NaN, Double.NaN, s));
            if (s % (steps / evaluations) == 0)
                rows.add(new MetricsLog.Row(s, 1, Double.NaN, Double.NaN, 0.4 + 1.0 / s, 0.6 + 0.25 * s / steps, s));
        }
        return rows;
    }

    @Test
    void runPlotsAreDrawn() throws Exception {
        Plots.forRun(tmp, run(400, 5, true), "accuracy", true);
        for (String f : List.of("loss.png", "test-metric.png", "lr.png")) assertDrawn(tmp.resolve(f), 900, 540);
    }

    @Test
    void demoFigureIsDrawn() throws Exception {
        Plots.demo(tmp.resolve("demo.png"), "lr 0.05", run(400, 1, false), run(400, 1, true));
        assertDrawn(tmp.resolve("demo.png"), 1000, 560);
    }

    @Test
    void tickLabelsArePlainNumbers() {
        assertEquals("0.0135", Plots.number(0.0135));
        assertEquals("0.03", Plots.number(0.030000000000000002));
        assertEquals("2", Plots.number(2.0));
        assertEquals("1500", Plots.number(1500.0));
        assertEquals("0", Plots.number(0.0));
        assertEquals("0.1235", Plots.number(0.123456));
    }
}
