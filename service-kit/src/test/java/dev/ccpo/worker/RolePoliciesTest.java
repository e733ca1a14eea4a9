package dev.ccpo.worker;

import dev.ccpo.weights.WeightsBlob;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RolePoliciesTest {
    /** Stand-in model: remembers its weights and whether it was closed. */
    static final class Model implements AutoCloseable {
        String weights;
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

    /** With a reloader, the oldest kept model takes the new weights in place: no model is built or closed. */
    @Test
    void reloadsTheOldestModelInPlaceOnceKeepVersionsAreHeld() {
        Model base = new Model("base");
        List<Model> built = new ArrayList<>();
        RolePolicies<Model> p = new RolePolicies<>(Map.of("reasoner", base), 0, (role, bytes) -> {
            Model m = new Model(new String(bytes));
            built.add(m);
            return m;
        }, (model, bytes) -> {
            String s = new String(bytes);
            if (s.equals("corrupt")) throw new IllegalArgumentException("tensor shape mismatch");
            model.weights = s;
        }, 2);

        p.refresh((role, cur) -> Optional.of(blob(role, 1, "w1")));
        assertEquals(1, built.size(), "below keepVersions a new model is loaded");
        Model v1 = p.current("reasoner").model();

        p.refresh((role, cur) -> Optional.of(blob(role, 2, "w2")));
        assertSame(base, p.current("reasoner").model(), "v2 was written into the oldest model, v0's");
        assertEquals("w2", base.weights);
        assertFalse(base.closed);
        assertEquals(1, built.size(), "no model built for v2");
        assertSame(v1, p.forVersion("reasoner", 1).model(), "v1 still kept");

        assertEquals(0, p.refresh((role, cur) -> Optional.of(blob(role, 3, "corrupt"))));
        assertEquals(1, p.refused());
        assertEquals(2, p.current("reasoner").version(), "a refused blob leaves the versions as they were");
        assertSame(v1, p.forVersion("reasoner", 1).model(), "and the recycled model keeps its version");

        p.refresh((role, cur) -> Optional.of(blob(role, 3, "w3")));
        assertSame(v1, p.current("reasoner").model());
        assertEquals("w3", v1.weights);
        assertEquals("w2", p.forVersion("reasoner", 2).model().weights);
        p.close();
        assertTrue(base.closed && v1.closed);
    }
}
