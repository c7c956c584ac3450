package dev.proxima.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where arrays live: {@code cpu}, or {@code opencl:N} when the optional OpenCL jar is on the
 * class path. Every backend, the CPU's included, is found through {@link ServiceLoader}
 * ({@link BackendProvider}), so this package imports none of them. Asking for a device that cannot be opened is an error that says why:
 * there is no silent fallback to the CPU.
 */
public record Device(String kind, int index) {
    private static final Map<Device, Backend> OPEN = new ConcurrentHashMap<>();
    private static volatile Device defaultDevice;

    public static Device cpu() {
        return new Device("cpu", 0);
    }

    public static Device opencl() {
        return opencl(0);
    }

    public static Device opencl(int index) {
        return new Device("opencl", index);
    }

    /** Parses {@code cpu}, {@code opencl}, {@code opencl:1}. */
    public static Device parse(String spec) {
        String s = spec.trim().toLowerCase();
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        int index;
        try {
            index = colon < 0 ? 0 : Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device '" + spec + "': expected KIND or KIND:INDEX, e.g. opencl:0");
        }
        return new Device(kind, index);
    }

    /**
     * The device new arrays are created on: the system property {@code proxima.device}, else the
     * environment variable {@code PROXIMA_DEVICE}, else the CPU.
     */
    public static Device defaultDevice() {
        Device d = defaultDevice;
        if (d == null) {
            String spec = System.getProperty("proxima.device", System.getenv("PROXIMA_DEVICE"));
            d = spec == null || spec.isBlank() ? cpu() : parse(spec);
            defaultDevice = d;
        }
        return d;
    }

    public static void setDefault(Device device) {
        device.backend(); // fail now, not at the first array
        defaultDevice = device;
    }

    /** The backend of this device, opened on first use and kept open. */
    public Backend backend() {
        Backend open = OPEN.get(this); // the common case, without computeIfAbsent's locking
        return open != null ? open : OPEN.computeIfAbsent(this, Device::open);
    }

    private static Backend open(Device d) {
        List<String> kinds = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            kinds.add(p.kind());
            if (p.kind().equals(d.kind)) return p.open(d.index);
        }
        throw new IllegalStateException("device " + d + ": no backend of kind '" + d.kind
                + "' on the class path (found: " + String.join(", ", kinds)
                + "); add the proxima-opencl jar for OpenCL");
    }

    @Override
    public String toString() {
        return kind.equals("cpu") ? "cpu" : kind + ":" + index;
    }
}
