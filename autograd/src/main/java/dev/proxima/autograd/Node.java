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

    Node(Primitive op, Tensor[] inputs, Throwable createdAt) {
        this.op = op;
        this.inputs = inputs;
        this.createdAt = createdAt;
    }

    void setOutput(Tensor output) {
        this.output = output;
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
