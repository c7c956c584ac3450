/**
 * The APO study ({@code ./proxima bench apo}): does Amortized Proximal Optimization reproduce
 * its paper's claims at CPU scale? {@link dev.proxima.bench.apo.ApoStudy} runs the protocol
 * ({@link dev.proxima.bench.apo.Protocol}: tasks × methods × settings × seeds) and its numerics
 * guard ({@code --verify}), {@link dev.proxima.bench.apo.StudyTask} is the catalogue of tasks
 * (each one's model, loss as a library {@code Objective}, data and test metric),
 * {@link dev.proxima.bench.apo.Learners} maps a method and its setting to a library
 * {@code Learner}, {@link dev.proxima.bench.apo.Runner} runs one cell through the library's
 * {@code Fit}, {@link dev.proxima.bench.apo.CellStore} keeps the finished cells and
 * {@link dev.proxima.bench.apo.Report} writes the markdown report and plots. The study holds no
 * training step of its own. A benchmark, not a test: nothing here asserts the claims.
 */
package dev.proxima.bench.apo;
