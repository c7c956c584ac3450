package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the README compiles as printed, against the libraries a user
 * gets (this module's test class path holds all of them). A block that declares a class is
 * compiled as a file; a block of statements is compiled as the body of a {@code main} method,
 * with its {@code import} lines in front, which is how a reader would paste it.
 */
class ReadmeSnippetsTest {
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern TYPE_DECL = Pattern.compile("(?m)^(public\\s+)?(final\\s+)?(class|record|interface|enum)\\s+(\\w+)");

    @TempDir
    Path out;

    static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path r = dir.resolve("README.md");
            if (Files.isRegularFile(r) && Files.isDirectory(dir.resolve("cli"))) return r;
        }
        throw new IllegalStateException("README.md not found above " + Path.of("").toAbsolutePath());
    }

    static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(markdown);
        while (m.find()) blocks.add(m.group(1));
        return blocks;
    }

    /** A compilation unit for block {@code i}: as printed, or statements wrapped in a main method. */
    static SimpleJavaFileObject unit(int i, String block) {
        Matcher type = TYPE_DECL.matcher(block);
        String name;
        String source;
        if (type.find()) {
            name = type.group(4);
            source = block;
        } else {
            name = "ReadmeSnippet" + i;
            StringBuilder imports = new StringBuilder(), body = new StringBuilder();
            for (String line : block.split("\\n", -1))
                (line.startsWith("import ") ? imports : body).append(line).append('\n');
            source = imports + "public class " + name + " {\npublic static void main(String[] args) throws Exception {\n" + body + "}\n}\n";
        }
        String src = source;
        return new SimpleJavaFileObject(URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return src;
            }
        };
    }

    @Test
    void everyJavaBlockCompiles() throws Exception {
        List<String> blocks = javaBlocks(Files.readString(readme()));
        assertFalse(blocks.isEmpty(), "README.md has no ```java block");
        // Surefire runs tests from a manifest-only jar; the real class path is in this property.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        for (int i = 0; i < blocks.size(); i++) {
            DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
            try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, Locale.ROOT, null)) {
                List<String> options = List.of("-proc:none", "-d", out.toString(), "-classpath", classPath,
                        "--add-modules", "jdk.incubator.vector", "-Xlint:-incubating");
                boolean ok = javac.getTask(null, fm, diags, options, null, List.of(unit(i, blocks.get(i)))).call();
                StringBuilder why = new StringBuilder();
                for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics())
                    if (d.getKind() == Diagnostic.Kind.ERROR)
                        why.append("line ").append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
                assertTrue(ok, "README java block " + (i + 1) + " does not compile:\n" + why + "---\n" + blocks.get(i));
            }
        }
        assertTrue(classPath.contains("proxima-autograd") || classPath.contains("autograd" + File.separator + "target"),
                "the test class path lacks the libraries: " + classPath);
    }
}
