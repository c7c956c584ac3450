/**
 * Files: {@link dev.proxima.nn.io.Safetensors} (the Hugging Face tensor format, read and
 * written atomically) and {@link dev.proxima.nn.io.Checkpoint} on top of it. Every reader
 * validates a file's header against the file's length before it allocates anything, and
 * reports a bad file with {@link dev.proxima.nn.io.MalformedFileException}.
 */
package dev.proxima.nn.io;
