package dev.proxima.nn.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and string writer for file headers. Values map to
 * {@code Map<String, Object>} (insertion-ordered), {@code List<Object>}, {@code String},
 * {@code Long} (integers), {@code Double} (numbers with a fraction or exponent),
 * {@code Boolean} and {@link #NULL}.
 *
 * <p>Strict: one value, then only whitespace; no comments, trailing commas, leading zeros,
 * lone surrogates in escapes or duplicate keys; integers must fit a long; nesting is bounded
 * ({@link #MAX_DEPTH}) so a header of a million '[' fails cleanly instead of overflowing the
 * stack. Errors are {@link Error}s carrying the character position.
 */
final class Json {
    private Json() {}

    static final int MAX_DEPTH = 64;

    /** JSON's null (a Java null would be ambiguous with "key absent"). */
    static final Object NULL = new Object() {
        @Override public String toString() { return "null"; }
    };

    /** A syntax error at a character position. */
    static final class Error extends Exception {
        final int position;

        Error(int position, String message) {
            super("at character " + position + ": " + message);
            this.position = position;
        }
    }

    static Object parse(String s) throws Error {
        Json.Parser p = new Parser(s);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.i != s.length()) throw new Error(p.i, "unexpected " + p.describe() + " after the value");
        return v;
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) {
            this.s = s;
        }

        String describe() {
            return i >= s.length() ? "end of text" : "'" + s.charAt(i) + "'";
        }

        void skipWhitespace() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                i++;
            }
        }

        void expect(char c) throws Error {
            if (i >= s.length() || s.charAt(i) != c) throw new Error(i, "expected '" + c + "', found " + describe());
            i++;
        }

        Object value(int depth) throws Error {
            if (depth >= MAX_DEPTH) throw new Error(i, "nesting deeper than " + MAX_DEPTH);
            if (i >= s.length()) throw new Error(i, "expected a value, found end of text");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", NULL);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw new Error(i, "expected a value, found " + describe());
                }
            };
        }

        Object literal(String word, Object v) throws Error {
            if (!s.startsWith(word, i)) throw new Error(i, "expected a value, found " + describe());
            i += word.length();
            return v;
        }

        Map<String, Object> object(int depth) throws Error {
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            skipWhitespace();
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            while (true) {
                skipWhitespace();
                int at = i;
                if (i >= s.length() || s.charAt(i) != '"') throw new Error(i, "expected a string key, found " + describe());
                String key = string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                Object v = value(depth + 1);
                if (m.putIfAbsent(key, v) != null) throw new Error(at, "duplicate key \"" + key + "\"");
                skipWhitespace();
                if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        List<Object> array(int depth) throws Error {
            expect('[');
            List<Object> a = new ArrayList<>();
            skipWhitespace();
            if (i < s.length() && s.charAt(i) == ']') { i++; return a; }
            while (true) {
                skipWhitespace();
                a.add(value(depth + 1));
                skipWhitespace();
                if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
                expect(']');
                return a;
            }
        }

        String string() throws Error {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw new Error(i, "unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c < 0x20) throw new Error(i - 1, String.format("control character U+%04X in a string", (int) c));
                if (c != '\\') { b.append(c); continue; }
                if (i >= s.length()) throw new Error(i, "unterminated escape");
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        char u = hex4();
                        if (Character.isHighSurrogate(u)) {
                            if (!s.startsWith("\\u", i)) throw new Error(i, "lone high surrogate escape");
                            i += 2;
                            char low = hex4();
                            if (!Character.isLowSurrogate(low)) throw new Error(i - 6, "high surrogate escape not followed by a low one");
                            b.append(u).append(low);
                        } else if (Character.isLowSurrogate(u)) {
                            throw new Error(i - 6, "lone low surrogate escape");
                        } else {
                            b.append(u);
                        }
                    }
                    default -> throw new Error(i - 1, "invalid escape \\" + e);
                }
            }
        }

        char hex4() throws Error {
            if (i + 4 > s.length()) throw new Error(i, "truncated \\u escape");
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int d = Character.digit(s.charAt(i + k), 16);
                if (d < 0) throw new Error(i + k, "invalid hex digit in \\u escape");
                v = v * 16 + d;
            }
            i += 4;
            return (char) v;
        }

        Object number() throws Error {
            int start = i;
            if (s.charAt(i) == '-') i++;
            if (i >= s.length()) throw new Error(i, "expected a digit, found end of text");
            if (s.charAt(i) == '0') {
                i++;
            } else if (s.charAt(i) >= '1' && s.charAt(i) <= '9') {
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            } else {
                throw new Error(i, "expected a digit, found " + describe());
            }
            boolean integer = true;
            if (i < s.length() && s.charAt(i) == '.') {
                integer = false;
                i++;
                digits();
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                integer = false;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                digits();
            }
            String text = s.substring(start, i);
            if (integer) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException ex) {
                    throw new Error(start, "integer " + text + " does not fit 64 bits");
                }
            }
            return Double.parseDouble(text);
        }

        void digits() throws Error {
            int from = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == from) throw new Error(i, "expected a digit, found " + describe());
        }
    }

    /** {@code s} as a JSON string literal (quotes included); a lone surrogate is an IllegalArgumentException. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isHighSurrogate(c) && k + 1 < s.length() && Character.isLowSurrogate(s.charAt(k + 1))) {
                        b.append(c).append(s.charAt(++k));
                    } else if (Character.isSurrogate(c)) { // not encodable as UTF-8
                        throw new IllegalArgumentException("lone surrogate U+" + Integer.toHexString(c).toUpperCase() + " in \"" + s + "\"");
                    } else if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
