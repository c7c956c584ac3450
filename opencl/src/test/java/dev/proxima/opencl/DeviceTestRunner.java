package dev.proxima.opencl;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs this module's test suites without Maven, for a machine that has a GPU and a JDK
 * runtime but no build tools: {@code java -cp <test classes and jars> dev.proxima.opencl.DeviceTestRunner
 * [CLASS ...]}. With no argument it runs this package's suites; otherwise the named test
 * classes (for example {@code dev.proxima.nn.OpenClParityTest}). Exits non-zero when a test fails.
 */
public final class DeviceTestRunner {
    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder builder = LauncherDiscoveryRequestBuilder.request();
        if (args.length == 0) builder.selectors(selectPackage("dev.proxima.opencl"));
        for (String name : args) builder.selectors(selectClass(name));
        LauncherDiscoveryRequest request = builder.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printTo(out);
        s.printFailuresTo(out, 20);
        System.exit(s.getTotalFailureCount() == 0 ? 0 : 1);
    }
}
