package dev.proxima.bench;

/** {@code ./proxima bench autograd}: a placeholder until the autograd benchmark lands. */
public final class AutogradBench {
    private AutogradBench() {}

    public static void main(String[] args) {
        System.err.println("bench autograd: not yet implemented");
        System.exit(2);
    }
}
