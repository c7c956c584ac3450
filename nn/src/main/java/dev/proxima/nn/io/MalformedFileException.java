package dev.proxima.nn.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data or checkpoint file that does not follow its format: a bad magic number, an unknown
 * element type, a dimension or offset the file's length cannot hold, a header that is not
 * well-formed. The message names the file and the field ({@code images.idx: dimension 0
 * (60000) x 784 x 1 bytes needs 47040000 bytes, the file holds 1000}).
 *
 * <p>Readers check every such field before they allocate anything sized by it, so a corrupt
 * file is reported by this exception and never by an out-of-memory error.
 */
public class MalformedFileException extends IOException {
    private final Path file;

    public MalformedFileException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    public MalformedFileException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The file that failed to parse. */
    public Path file() {
        return file;
    }
}
