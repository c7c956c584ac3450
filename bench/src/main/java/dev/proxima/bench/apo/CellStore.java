package dev.proxima.bench.apo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The study's finished runs, one file per {@link Cell} in a directory, named by the hash of
 * its configuration. A cell is written whole or not at all: to a temporary file first, flushed,
 * then renamed over its name atomically, so a run killed mid-write leaves at most a temporary
 * file, which is ignored (and removed when a store is opened). A cell whose stored
 * configuration does not hash to its stored hash, or does not match the configuration asked
 * for, is refused with an error: the store never silently mixes configurations.
 */
final class CellStore {
    static final String SUFFIX = ".cell", TEMP = ".tmp";
    private final Path dir;

    CellStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + TEMP)) {
                for (Path p : s) Files.deleteIfExists(p); // left by a run killed while writing
            }
        } catch (IOException e) {
            throw new UncheckedIOException("bench apo: cannot open the cell store " + dir, e);
        }
    }

    Path dir() { return dir; }

    Path pathOf(Cell.Key key) {
        return dir.resolve(key.fileName());
    }

    /** The finished cell of {@code key}, if any; an error if the file there holds another configuration. */
    Optional<Cell> get(Cell.Key key) {
        Path p = pathOf(key);
        if (!Files.exists(p)) return Optional.empty();
        Cell c = read(p);
        if (!c.key().canonical().equals(key.canonical()))
            throw new IllegalStateException("bench apo: cell " + p + " holds configuration '" + c.key().canonical() + "' but '"
                    + key.canonical() + "' was asked for: refusing it");
        return Optional.of(c);
    }

    /** Stores a finished cell atomically. */
    void put(Cell cell) {
        Path target = pathOf(cell.key());
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + TEMP);
        byte[] bytes = cell.serialize().getBytes(StandardCharsets.UTF_8);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("bench apo: cannot write cell " + target, e);
        }
    }

    /** Every cell in the store (each validated). */
    List<Cell> all() {
        List<Cell> cells = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            List<Path> files = new ArrayList<>();
            s.forEach(files::add);
            files.sort(null);
            for (Path p : files) cells.add(read(p));
        } catch (IOException e) {
            throw new UncheckedIOException("bench apo: cannot list " + dir, e);
        }
        return cells;
    }

    private static Cell read(Path p) {
        try {
            Cell c = Cell.parse(Files.readString(p), p.toString());
            if (!p.getFileName().toString().equals(c.key().fileName()))
                throw new IllegalStateException("bench apo: cell " + p + " holds configuration '" + c.key().canonical()
                        + "', whose file name is " + c.key().fileName() + ": refusing it");
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("bench apo: cannot read cell " + p, e);
        }
    }
}
