/**
 * Ready-made models built from a seed ({@link dev.proxima.nn.models.Models}): MLPs, the
 * benchmark CNN, a deep autoencoder, a small causal transformer language model and an
 * encoder-decoder transformer.
 */
package dev.proxima.nn.models;
