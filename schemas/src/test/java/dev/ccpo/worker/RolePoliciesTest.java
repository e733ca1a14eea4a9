package dev.ccpo.worker;

import dev.ccpo.weights.WeightsBlob;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RolePoliciesTest {
    /** Stand-in model: remembers its weights and whether it was closed. */
    static final class Model implements AutoCloseable {
        final String weights;
        boolean closed;
        Model(String weights) { this.weights = weights; }
        @Override public void close() { closed = true; }
    }

    private static WeightsBlob blob(String role, long v, String content) {
        byte[] b = content.getBytes();
        return new WeightsBlob("m", role, v, b, WeightsBlob.sha256Hex(b));
    }

    @Test
    void swapsKeepsLastVersionsAndRefusesBadImports() {
        Model base = new Model("base");
        List<Model> built = new ArrayList<>();
        RolePolicies<Model> p = new RolePolicies<>(Map.of("reasoner", base), 0, (role, bytes) -> {
            String s = new String(bytes);
            if (s.equals("corrupt")) throw new IllegalArgumentException("tensor shape mismatch");
            Model m = new Model(s);
            built.add(m);
            return m;
        }, 2);

        assertEquals(1, p.refresh((role, cur) -> Optional.of(blob(role, 1, "w1"))));
        assertEquals(1, p.current("reasoner").version());
        assertEquals(0, p.forVersion("reasoner", 0).version(), "v0 still kept");

        assertEquals(0, p.refresh((role, cur) -> Optional.of(blob(role, 2, "corrupt"))));
        assertEquals(1, p.refused());
        assertEquals("w1", p.current("reasoner").model().weights, "old weights kept after a refused import");

        p.refresh((role, cur) -> Optional.of(blob(role, 2, "w2")));
        assertEquals(2, p.version());
        assertTrue(base.closed, "v0 evicted beyond keep=2 and closed");
        assertEquals("w1", p.forVersion("reasoner", 1).model().weights);
        assertEquals(2, p.forVersion("reasoner", 0).version(), "evicted version falls back to newest");

        assertEquals(0, p.refresh((role, cur) -> Optional.empty()));
        p.close();
        assertTrue(built.stream().allMatch(m -> m.closed));
    }
}
