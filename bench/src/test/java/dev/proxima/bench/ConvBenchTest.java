package dev.proxima.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.proxima.tensor.Device;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code bench conv}: every case runs, and the PyTorch peer's script times the same cases. */
class ConvBenchTest {

    @Test
    void everyCaseRuns() {
        for (String c : ConvBench.CASES) assertNotNull(ConvBench.run(c, Device.cpu()).get(), c);
    }

    @Test
    void thePeerScriptHasTheSameCases() throws IOException {
        String script;
        try (InputStream in = ConvBench.class.getResourceAsStream("conv_torch.py")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("setup\\(\\d+, \\d+, \"([a-z0-9_,]+)\"\\)").matcher(script);
        assertEquals(true, m.find(), "conv_torch.py calls setup(repeat, warmup, \"cases\")");
        assertEquals(ConvBench.CASES, List.of(m.group(1).split(",")));
    }
}
