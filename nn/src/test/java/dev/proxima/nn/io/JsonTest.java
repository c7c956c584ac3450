package dev.proxima.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.Rng;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class JsonTest {
    @Property(tries = 300)
    void quotedStringsParseBack(@ForAll long seed) throws Json.Error {
        Rng r = new Rng(seed);
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) {
            int cp = switch (r.nextInt(4)) {
                case 0 -> r.nextInt(0x80);             // ASCII, control characters included
                case 1 -> 0x80 + r.nextInt(0xD800 - 0x80);
                case 2 -> 0xE000 + r.nextInt(0x10000 - 0xE000);
                default -> 0x10000 + r.nextInt(0x110000 - 0x10000); // surrogate pairs
            };
            b.appendCodePoint(cp);
        }
        String s = b.toString();
        assertEquals(s, Json.parse(Json.quote(s)));
        assertEquals(Map.of(s, List.of(s)), Json.parse("{" + Json.quote(s) + ":[" + Json.quote(s) + "]}"));
    }

    @Example
    void valuesParse() throws Json.Error {
        assertEquals(Map.of("a", List.of(0L, -12L, 1.5, -2e-3, true, false), "b", Map.of()),
                Json.parse(" {\"a\" : [0, -12, 1.5, -2e-3, true, false], \"b\":{}}\n  "));
        assertEquals(Json.NULL, Json.parse("null"));
        assertEquals("é\n😀/", Json.parse("\"\\u00e9\\n\\ud83d\\ude00\\/\""));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    }

    @Example
    void strictness() {
        for (String bad : List.of("", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "01", "-", "1.", ".5", "1e", "+1", "NaN",
                "Infinity", "'a'", "\"a", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u12\"", "\"a\tb\"", "[1 2]",
                "{\"a\":1 \"b\":2}", "{\"a\":1,\"a\":2}", "1 2", "9223372036854775808", "tru", "nul", "[".repeat(65) + "]".repeat(65))) {
            Json.Error e = assertThrows(Json.Error.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("at character "), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Json.quote("a\uDC00"));
    }
}
