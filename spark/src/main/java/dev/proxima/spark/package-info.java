/**
 * Data-parallel training on Apache Spark (an optional jar, built with {@code -Pspark}; Spark is a
 * provided dependency). {@link dev.proxima.spark.SparkTrainer} runs each epoch as one barrier
 * stage: the tasks meet through {@code BarrierTaskContext.allGather}, join a
 * {@link dev.proxima.parallel.RingCollective} and step a
 * {@link dev.proxima.parallel.DataParallelTrainer}; rank 0's parameters and optimizer state
 * come back to the driver as the checkpoint a failed stage retries from. Parameters travel as
 * {@link dev.proxima.spark.Snapshot}s, optimizer states flattened by the one codec every
 * checkpoint uses ({@code dev.proxima.nn.io.StateCodec}). {@code SparkBench} measures it.
 */
package dev.proxima.spark;
