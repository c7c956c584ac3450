/**
 * The APO study ({@code ./proxima bench apo}): does Amortized Proximal Optimization reproduce
 * its paper's claims at CPU scale? {@link dev.proxima.bench.apo.ApoStudy} runs the protocol
 * (tasks × methods from one seed and one step budget), {@link dev.proxima.bench.apo.StudyTask}
 * is the catalogue of tasks, {@link dev.proxima.bench.apo.KfacTrainer} the KFAC baseline, and
 * {@link dev.proxima.bench.apo.StudyReport} writes the markdown table and plots. A benchmark,
 * not a test: nothing here asserts the claims. (Its training steps are still its own; issue 18
 * moves them onto {@code dev.proxima.train}.)
 */
package dev.proxima.bench.apo;
