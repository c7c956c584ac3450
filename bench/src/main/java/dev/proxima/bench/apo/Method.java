package dev.proxima.bench.apo;

/** The study's methods, by their names in cells, RESULT lines and the report. */
enum Method {
    /** SGD with momentum 0.9 at a constant rate ("tuned fixed rate"). */
    SGD("sgd", "SGD-momentum, fixed rate"),
    /** The same SGD, rate ×0.1 at two milestones (fractions of the budget). */
    STEP_DECAY("step-decay", "SGD-momentum, step decay"),
    /** The same SGD, half a cosine from the peak rate to 0 over the budget. */
    COSINE("cosine", "SGD-momentum, cosine decay"),
    ADAM("adam", "Adam"),
    KFAC("kfac", "KFAC"),
    /** APO-LR over the same SGD-momentum: one global log-rate. */
    APO_LR("apo-lr", "APO-LR over SGD-momentum"),
    APO_PRECOND("apo-precond", "APO-Precond");

    final String id, title;

    Method(String id, String title) {
        this.id = id;
        this.title = title;
    }

    static Method of(String id) {
        for (Method m : values()) if (m.id.equals(id)) return m;
        throw new IllegalArgumentException("bench apo: no method '" + id + "'");
    }
}
