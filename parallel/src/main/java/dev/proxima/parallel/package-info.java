/**
 * Data-parallel training on one or many machines, JDK only: {@code Collective} (all-reduce,
 * broadcast, barrier) over threads or a TCP ring, and a trainer that averages gradients and
 * applies any {@code optim} rule.
 */
package dev.proxima.parallel;
