package dev.proxima.cli;

import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Checks a {@code --device} value at parse time: {@code cpu}, {@code opencl} or
 * {@code opencl:N}. Opening the device (which may fail: no driver, no such index) happens when
 * the command runs, and that error says what was found.
 */
final class DeviceSpec implements ITypeConverter<String> {
    private static final Pattern SPEC = Pattern.compile("cpu|opencl(:\\d+)?");

    @Override
    public String convert(String value) {
        String v = value.trim().toLowerCase();
        if (!SPEC.matcher(v).matches())
            throw new TypeConversionException("'" + value + "' is not a device: expected cpu, opencl or opencl:N"
                    + (v.startsWith("cuda") || v.startsWith("gpu") ? " (GPUs are reached through OpenCL)" : ""));
        return v;
    }
}
