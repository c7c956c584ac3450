package dev.proxima.autograd;

/**
 * How a tensor was computed: the primitive, its inputs and its output. A node is part of a
 * graph that lives in the tensors themselves (no global tape), so several graphs can be
 * recorded and differentiated independently. After a backward pass without
 * {@code retainGraph} the node is released: its references are dropped so the memory of
 * the forward pass can be reclaimed, and a second pass through it is an error.
 */
final class Node {
    final Primitive op;
    private Tensor[] inputs;
    private Tensor output;
    /** Where the op was created; recorded in anomaly mode only. */
    final Throwable createdAt;
    /**
     * The storage version of each input, then of the output, when the node was recorded:
     * {@link #checkSaved} compares them with the versions at backward time.
     */
    private int[] versions;

    Node(Primitive op, Tensor[] inputs, Throwable createdAt) {
        this.op = op;
        this.inputs = inputs;
        this.createdAt = createdAt;
    }

    void setOutput(Tensor output) {
        this.output = output;
        versions = new int[inputs.length + 1];
        for (int i = 0; i < inputs.length; i++) versions[i] = inputs[i].data().storage().version();
        versions[inputs.length] = output.data().storage().version();
    }

    /**
     * Throws when an array the rule reads ({@link Rules#saved}) was written in place after
     * the forward pass: the rule would compute a gradient from values the forward never saw.
     */
    void checkSaved() {
        Tensor[] in = inputs();
        int saved = Rules.saved(op, in);
        for (int i = 0; i <= in.length; i++) {
            boolean isOutput = i == in.length;
            if ((saved & (isOutput ? Rules.OUTPUT : 1 << i)) == 0) continue;
            Tensor t = isOutput ? output : in[i];
            int now = t.data().storage().version();
            if (now != versions[i])
                throw new IllegalStateException("backward: one of the tensors needed for gradient computation was modified by an "
                        + "in-place write: " + (isOutput ? "the output" : "input " + i) + " of '" + op + "', "
                        + t.dtype() + " " + dev.proxima.tensor.Shapes.str(t.shape()) + ", is at version " + now + "; expected version "
                        + versions[i] + ". Write into a fresh array instead, or run the forward after the write");
        }
    }

    boolean released() {
        return inputs == null;
    }

    Tensor[] inputs() {
        if (inputs == null)
            throw new IllegalStateException("backward: the graph through '" + op + "' was already freed by an earlier backward pass; "
                    + "pass retainGraph=true to the first one to differentiate twice");
        return inputs;
    }

    Tensor output() {
        inputs();
        return output;
    }

    void release() {
        inputs = null;
        output = null;
    }
}
