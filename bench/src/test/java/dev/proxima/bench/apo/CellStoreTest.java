package dev.proxima.bench.apo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cell store: round trip, atomic writes that survive a kill, refusal of mismatching cells. */
class CellStoreTest {
    static Cell.Key key(long seed) {
        return new Cell.Key(Protocol.STUDY_VERSION, "regression", 100, "sgd", Setting.of("lr", 0.1).toString(), seed, true);
    }

    static Cell cell(long seed, double loss) {
        return new Cell(key(seed), Map.of(Cell.FINAL_LOSS, loss, Cell.TEST_METRIC, Double.NaN), Map.of("loss", new double[] {1, 0.5, loss}),
                Map.of("commit", "abc"));
    }

    @Test
    void aCellComesBackAsItWasStored(@TempDir Path dir) {
        CellStore store = new CellStore(dir);
        assertTrue(store.get(key(1)).isEmpty());
        store.put(cell(1, 0.25));
        Cell back = store.get(key(1)).orElseThrow();
        assertEquals(key(1), back.key());
        assertEquals(0.25, back.scalar(Cell.FINAL_LOSS));
        assertTrue(Double.isNaN(back.scalar(Cell.TEST_METRIC)));
        assertArrayEquals(new double[] {1, 0.5, 0.25}, back.series().get("loss"));
        assertEquals("abc", back.info().get("commit"));
        assertEquals(1, store.all().size());
    }

    @Test
    void aCellWhoseConfigurationWasEditedIsRefused(@TempDir Path dir) throws Exception {
        CellStore store = new CellStore(dir);
        store.put(cell(1, 0.25));
        Path p = store.pathOf(key(1));
        Files.writeString(p, Files.readString(p).replace("lr=0.1", "lr=0.3"));
        var e = assertThrows(IllegalStateException.class, () -> store.get(key(1)));
        assertTrue(e.getMessage().contains("refusing"), e.getMessage());
    }

    @Test
    void aFileHoldingAnotherConfigurationUnderThisHashIsRefused(@TempDir Path dir) throws Exception {
        CellStore store = new CellStore(dir);
        store.put(cell(2, 0.5));
        Files.copy(store.pathOf(key(2)), store.pathOf(key(1))); // seed 2's cell under seed 1's name
        var e = assertThrows(IllegalStateException.class, () -> store.get(key(1)));
        assertTrue(e.getMessage().contains("refusing"), e.getMessage());
        assertThrows(IllegalStateException.class, store::all);
    }

    @Test
    void aCutShortFileIsRefusedAndALeftoverTemporaryFileIsIgnored(@TempDir Path dir) throws Exception {
        CellStore store = new CellStore(dir);
        store.put(cell(1, 0.25));
        String whole = Files.readString(store.pathOf(key(1)));
        Files.writeString(store.pathOf(key(3)), whole.substring(0, whole.indexOf("end")).replace("seed=1", "seed=3"));
        assertThrows(IllegalStateException.class, () -> store.get(key(3)));
        Files.delete(store.pathOf(key(3)));
        Path tmp = dir.resolve("." + key(4).fileName() + ".123" + CellStore.TEMP);
        Files.writeString(tmp, whole.substring(0, 40)); // what a kill mid-write leaves
        CellStore reopened = new CellStore(dir);
        assertFalse(Files.exists(tmp), "a reopened store removes the leftovers of an interrupted write");
        assertTrue(reopened.get(key(4)).isEmpty());
        assertEquals(1, reopened.all().size());
    }

    /** Writes cells as fast as it can until killed (run in a child JVM by the test below). */
    public static void main(String[] args) {
        CellStore store = new CellStore(Path.of(args[0]));
        double[] big = new double[20_000]; // long files, so a kill often lands mid-write
        for (long seed = 0; ; seed++) {
            Cell.Key k = new Cell.Key(Protocol.STUDY_VERSION, "regression", 100, "sgd", "lr=0.1", seed, false);
            store.put(new Cell(k, Map.of(Cell.FINAL_LOSS, (double) seed), Map.of("loss", big), Map.of()));
        }
    }

    @Test
    void theStoreSurvivesAKillMidWrite(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int attempt = 0; attempt < 3; attempt++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CellStoreTest.class.getName(), dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && countCells(dir) < 3 * (attempt + 1)) Thread.sleep(20);
            p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no finally
        }
        CellStore store = new CellStore(dir);
        List<Cell> cells = store.all(); // every file there parses whole
        assertTrue(cells.size() >= 3, "cells written before the kills: " + cells.size());
        for (Cell c : cells) assertEquals(20_000, c.series().get("loss").length);
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(CellStore.TEMP)));
        }
    }

    private static long countCells(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(CellStore.SUFFIX)).count();
        }
    }

    /**
     * The numerics guard: a stored cell recomputed by this code passes; the same cell with its
     * final loss off by one ulp (as a changed kernel would leave it) stops the run, naming it.
     */
    @Test
    void aStudyContinuesOnlyOnCodeThatRecomputesItsCellsBitIdentically(@TempDir Path dir) throws Exception {
        StudyTask task = StudyTask.named("regression");
        task.ensureLoaded();
        Cell.Key k = new Cell.Key(Protocol.STUDY_VERSION, "regression", 30, "apo-lr", Setting.of("lambdaFsd", 1, "lambdaWsd", 0, "start", 0.01).toString(), 1, false);
        Cell real = Runner.train(task, k);
        CellStore good = new CellStore(dir.resolve("good"));
        good.put(real);
        ApoStudy.checkNumerics(task, Protocol.STUDY_VERSION, good); // passes: same code, same numbers

        var scalars = new java.util.LinkedHashMap<>(real.scalars());
        scalars.put(Cell.FINAL_LOSS, Math.nextUp(real.scalar(Cell.FINAL_LOSS)));
        CellStore bad = new CellStore(dir.resolve("bad"));
        bad.put(new Cell(k, scalars, real.series(), real.info()));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ApoStudy.checkNumerics(task, Protocol.STUDY_VERSION, bad));
        assertTrue(e.getMessage().contains("numerics differ") && e.getMessage().contains(k.hash()), e.getMessage());
    }

    /**
     * {@code --verify}: the cheapest stored cell of each method and the cheapest evaluated one
     * are recomputed; a store of this code's own cells passes, one whose cell is off by one ulp in
     * one point of its loss curve is reported (the others still checked), and a costlier cell
     * of a method already checked is not rerun (its numbers here are not this code's).
     */
    @Test
    void verifyRecomputesTheCheapestCellOfEveryMethodAndCountsTheDifferences(@TempDir Path dir) throws Exception {
        StudyTask task = StudyTask.named("regression");
        task.ensureLoaded();
        Cell sgd = Runner.train(task, new Cell.Key(Protocol.STUDY_VERSION, "regression", 20, "sgd", Setting.of("lr", 0.01).toString(), 1, true));
        Cell kfac = Runner.train(task, new Cell.Key(Protocol.STUDY_VERSION, "regression", 20, "kfac",
                Setting.of("lr", 0.03, "damping", 0.01, "trueFisher", 1).toString(), 1, false));
        assertTrue(Double.isFinite(sgd.scalar(Cell.TEST_METRIC)), "an evaluated cell");
        var costly = new java.util.LinkedHashMap<>(sgd.scalars());
        costly.put(Cell.WALL_S, 1e9);
        costly.put(Cell.FINAL_LOSS, 12.5); // not this code's number: a rerun would report it
        costly.put(Cell.TEST_METRIC, Double.NaN);
        Cell notRerun = new Cell(new Cell.Key(Protocol.STUDY_VERSION, "regression", 20, "sgd", Setting.of("lr", 0.02).toString(), 1, false),
                costly, sgd.series(), sgd.info());

        CellStore good = new CellStore(dir.resolve("good"));
        for (Cell c : List.of(sgd, kfac, notRerun)) good.put(c);
        assertEquals(0, ApoStudy.verify(List.of(task), good));

        double[] loss = kfac.series().get("loss").clone();
        loss[loss.length / 2] = Math.nextUp(loss[loss.length / 2]);
        var series = new java.util.LinkedHashMap<>(kfac.series());
        series.put("loss", loss);
        CellStore bad = new CellStore(dir.resolve("bad"));
        for (Cell c : List.of(sgd, new Cell(kfac.key(), kfac.scalars(), series, kfac.info()), notRerun)) bad.put(c);
        assertEquals(1, ApoStudy.verify(List.of(task), bad));
    }
}
