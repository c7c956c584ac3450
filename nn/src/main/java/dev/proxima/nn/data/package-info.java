/**
 * Data: the {@link dev.proxima.nn.data.Idx} reader (MNIST's format), Fashion-MNIST,
 * {@link dev.proxima.nn.data.Dataset} and the batching, shuffling, prefetching
 * {@link dev.proxima.nn.data.DataLoader}, a character-level text dataset and synthetic
 * sequence-to-sequence tasks.
 */
package dev.proxima.nn.data;
