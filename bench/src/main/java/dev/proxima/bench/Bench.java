package dev.proxima.bench;

/** Entry point of {@code ./proxima bench NAME}. */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("bench: name one of: sgemm, elementwise, reduce, autograd");
            System.exit(2);
        }
        System.err.println("bench: unknown benchmark '" + args[0] + "'");
        System.exit(2);
    }
}
