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
 * <p>Errors have one form: a usage error (an unknown command or option, a bad value,
 * settings that do not fit together, a file or device named that is not there) prints
 * {@code proxima train: <why>} and {@code try './proxima help train'}, exit status 2; a
 * failure while running (I/O, a corrupt checkpoint, a device that fails, a diverged loss)
 * prints {@code proxima train: <why>}, exit status 1. {@code PROXIMA_DEBUG=1} adds the stack
 * trace. Every command takes {@code -h}/{@code --help}.
 *
 * <p>With {@code -Dproxima.checkOnly=true} a command is parsed and its settings checked, but
 * not run: exit status {@link #CHECKED} when it would run, else what the run would return
 * (help printed: 0, a usage error: 2). The launcher does this in a light JVM before it starts
 * {@code bench}, whose JVM commits and touches its whole heap first.
 */
@Command(name = "proxima", mixinStandardHelpOptions = true, version = "Proxima " + Main.VERSION,
        description = "Pure-Java deep learning: tensors, higher-order autodiff, APO.",
        subcommands = {DemoCommand.class, TrainCommand.class, InfoCommand.class, BenchCommand.class,
                Main.TestCommand.class, Main.BuildCommand.class, Main.HelpCommand.class},
        footer = {"", "Environment: PROXIMA_HEAP (maximum heap, e.g. 8g), PROXIMA_JAVA_OPTS (more JVM options),",
                "PROXIMA_THREADS, PROXIMA_DEVICE (e.g. opencl:0), PROXIMA_PEER_PYTHON (the bench peer's Python),",
                "PROXIMA_DEBUG=1 (stack traces).",
                "",
                "Exit status: 0 done; 1 a failure while running (I/O, a corrupt checkpoint, a device that fails,",
                "a diverged loss); 2 a usage error (an unknown command or option, a bad value, settings that do not",
                "fit together, a file or device that is not there). Errors are one line, then how to get help."})
public final class Main implements Runnable {
    static final String VERSION = "0.1.0-SNAPSHOT";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** {@code -Dproxima.checkOnly=true}: the arguments are valid and the command would run. */
    static final int CHECKED = 100;

    /** Parses and runs {@code args}; returns the exit status. In-process tests call this. */
    public static int run(String... args) {
        if (Boolean.getBoolean("proxima.checkOnly")) return check(args);
        return commandLine().execute(args);
    }

    /**
     * Parses {@code args} and checks the command's settings without running it: {@link #CHECKED}
     * when it would run; help printed (0) or a usage error (2) as a run would.
     */
    static int check(String... args) {
        CommandLine cl = commandLine();
        CommandLine.ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (ParameterException e) {
            return badArguments(e, args);
        }
        if (printHelpIfRequested(parsed)) return 0;
        CommandLine.ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) leaf = leaf.subcommand();
        Object command = leaf.commandSpec().userObject();
        try {
            if (command instanceof Checked c) c.check();
        } catch (UserError e) {
            return failed(e, leaf.commandSpec().commandLine());
        }
        return CHECKED;
    }

    /** A command whose settings can be checked before it runs (and before a heavy JVM starts). */
    interface Checked {
        /** Throws a {@link UserError} for settings that cannot run. */
        void check();
    }

    /** The configured command line, for tests that parse without running. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setParameterExceptionHandler(Main::badArguments);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd));
        // -h/--help on every command (picocli's mixin would need each command class to ask for it).
        for (CommandLine sub : cl.getSubcommands().values()) {
            var spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null)
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help and exit.").build());
        }
        cl.setExecutionStrategy(parsed -> printHelpIfRequested(parsed) ? 0 : new CommandLine.RunLast().execute(parsed));
        return cl;
    }

    /**
     * Prints the usage of the command whose -h/--help was given, to that command line's own
     * writer (picocli's default handling printed a subcommand's help to System.out, past the
     * writer set on the command line), and says whether it did.
     */
    private static boolean printHelpIfRequested(CommandLine.ParseResult parsed) {
        for (CommandLine c : parsed.asCommandLineList()) {
            if (c.isUsageHelpRequested()) {
                c.usage(c.getOut());
                c.getOut().flush();
                return true;
            }
        }
        return false;
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
            if (sub == null) throw new UserError("unknown command '" + command + "'; the commands are " + String.join(", ", root.getSubcommands().keySet()));
            sub.usage(System.out);
        }
    }

    private static int badArguments(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String why = e.getMessage();
        // `proxima foo`: picocli says "Unmatched argument at index 0: 'foo'"; say what it is.
        if (cmd.getParent() == null && e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-"))
            why = "unknown command '" + u.getUnmatched().get(0) + "'; the commands are " + String.join(", ", cmd.getSubcommands().keySet());
        return usageError(cmd, why);
    }

    /** A usage error: one line naming the problem, one saying where the help is; status 2. */
    private static int usageError(CommandLine cmd, String why) {
        PrintWriter err = cmd.getErr();
        err.println(qualifiedName(cmd) + ": " + why);
        boolean root = cmd.getParent() == null || cmd.getCommandName().equals("help");
        err.println("try './proxima help" + (root ? "" : " " + cmd.getCommandName()) + "'");
        err.flush();
        return 2;
    }

    private static int failed(Exception e, CommandLine cmd) {
        PrintWriter err = cmd.getErr();
        if (e instanceof UserError) return usageError(cmd, e.getMessage());
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
