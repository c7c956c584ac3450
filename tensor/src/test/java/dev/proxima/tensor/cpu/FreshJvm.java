package dev.proxima.tensor.cpu;

import java.io.File;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The class path for a fresh test JVM. */
final class FreshJvm {
    private FreshJvm() {}

    /**
     * Everything this JVM can load, as one class path: Surefire runs a module's tests with the
     * main classes on the module path (jdk.module.path) and the test classes and JUnit on the
     * class path; a child JVM that only needs to load them puts both on its class path.
     */
    static String classPath() {
        return Stream.of(System.getProperty("jdk.module.path"), System.getProperty("java.class.path"))
                .filter(p -> p != null && !p.isEmpty())
                .collect(Collectors.joining(File.pathSeparator));
    }
}
