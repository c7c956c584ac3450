package dev.proxima.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/**
 * The {@code proxima} command. The launcher script ({@code ./proxima}) builds the project
 * and calls this with the Vector API module enabled; {@code test} and {@code build} are the
 * launcher's own (they run Maven) and are listed here only so {@code help} names them.
 *
 * <p>Errors are one line: a bad option prints {@code proxima train: <why>} and the usage of
 * that command (exit status 2); a failure while running prints {@code proxima train: <why>}
 * (exit status 1). {@code PROXIMA_DEBUG=1} adds the stack trace.
 */
@Command(name = "proxima", mixinStandardHelpOptions = true, version = "Proxima " + Main.VERSION,
        description = "Pure-Java deep learning: tensors, higher-order autodiff, APO.",
        subcommands = {DemoCommand.class, TrainCommand.class, InfoCommand.class, BenchCommand.class,
                Main.TestCommand.class, Main.BuildCommand.class, Main.HelpCommand.class},
        footer = {"", "Environment: PROXIMA_HEAP (maximum heap, e.g. 8g), PROXIMA_JAVA_OPTS (more JVM options),",
                "PROXIMA_THREADS, PROXIMA_DEVICE (e.g. opencl:0), PROXIMA_PEER_PYTHON (the bench peer's Python),",
                "PROXIMA_DEBUG=1 (stack traces)."})
public final class Main implements Runnable {
    static final String VERSION = "0.1.0-SNAPSHOT";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Parses and runs {@code args}; returns the exit status. In-process tests call this. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line, for tests that parse without running. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setParameterExceptionHandler(Main::badArguments);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd));
        return cl;
    }

    @Override
    public void run() { // bare `proxima`: the overview
        printHelp(spec.commandLine(), System.out);
    }

    /** The overview, then every subcommand with all its options. */
    static void printHelp(CommandLine root, java.io.PrintStream out) {
        root.usage(out);
        for (CommandLine sub : root.getSubcommands().values()) {
            String name = sub.getCommandName();
            if (name.equals("help")) continue;
            out.println();
            out.println("---- proxima " + name + " ----");
            sub.usage(out);
        }
    }

    @Command(name = "help", description = "This overview with every command's options, or one command's: help [COMMAND].")
    static final class HelpCommand implements Runnable {
        @CommandLine.ParentCommand
        Main parent;

        @CommandLine.Parameters(arity = "0..1", paramLabel = "COMMAND", description = "A command to explain.")
        String command;

        @Override
        public void run() {
            CommandLine root = parent.spec.commandLine();
            if (command == null) {
                printHelp(root, System.out);
                return;
            }
            CommandLine sub = root.getSubcommands().get(command);
            if (sub == null) throw new UserError("no command '" + command + "'; commands: " + String.join(", ", root.getSubcommands().keySet()));
            sub.usage(System.out);
        }
    }

    private static int badArguments(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(qualifiedName(cmd) + ": " + e.getMessage());
        cmd.usage(err);
        return 2;
    }

    private static int failed(Exception e, CommandLine cmd) {
        PrintWriter err = cmd.getErr();
        if (e instanceof UserError) {
            err.println(qualifiedName(cmd) + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        err.println(qualifiedName(cmd) + ": " + msg);
        if (System.getenv("PROXIMA_DEBUG") != null) e.printStackTrace(err);
        err.flush();
        return 1;
    }

    private static String qualifiedName(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }

    /**
     * A mistake in what the user asked for, found after parsing (a missing file, an option
     * that does not fit another): one line and exit status 2, like a bad option.
     */
    static final class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    @Command(name = "test", description = "Run the whole test suite (the launcher runs Maven: ./proxima test [MAVEN ARGS]).")
    static final class TestCommand implements Runnable {
        @Override
        public void run() {
            throw new UserError("the launcher runs the tests with Maven: ./proxima test");
        }
    }

    @Command(name = "build", description = "Build the project now (the launcher also builds on first use and after changes).")
    static final class BuildCommand implements Runnable {
        @Override
        public void run() {
            throw new UserError("the launcher builds with Maven: ./proxima build");
        }
    }
}
