package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {

    /** A safetensors file written by hand with one 16-bit tensor. */
    static byte[] file16(String dtype, short[] values) {
        String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + values.length + "],\"data_offsets\":[0,"
                + values.length * 2 + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (short v : values) b.putShort(v);
        return b.array();
    }

    static float[] readOne(byte[] bytes) {
        Map<String, SafeTensors.FloatTensor> m = new LinkedHashMap<>();
        SafeTensors.read(bytes, m::put);
        return m.get("t").data();
    }

    @Test
    void bf16LoadsToFp32() {
        // bf16 bit patterns: 1.0 = 0x3F80, -2.0 = 0xC000, 0.15625 = 0x3E20, 3.140625 = 0x4049
        float[] f = readOne(file16("BF16", new short[] {0x3F80, (short) 0xC000, 0x3E20, 0x4049}));
        assertArrayEquals(new float[] {1f, -2f, 0.15625f, 3.140625f}, f, 0f);
    }

    @Test
    void f16LoadsToFp32() {
        // fp16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 = 0x7BFF, smallest subnormal = 0x0001
        float[] f = readOne(file16("F16", new short[] {0x3C00, (short) 0xC000, 0x3800, 0x7BFF, 0x0001}));
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 65504f, (float) Math.pow(2, -24)}, f, 0f);
    }

    @Test
    void bf16FileOnDiskLoadsIntoAModel(@TempDir Path dir) throws Exception {
        // Rewrite a tiny checkpoint's weights as BF16 by hand and check the model sees the truncated values.
        try (CausalLM m = CausalLMTest.tiny(11)) {
            m.save(dir);
        }
        Map<String, SafeTensors.FloatTensor> fp32 = new LinkedHashMap<>();
        SafeTensors.read(dir.resolve(SafeTensors.SINGLE), fp32::put);
        StringBuilder hdr = new StringBuilder("{");
        long off = 0;
        for (var e : fp32.entrySet()) {
            long len = 2L * e.getValue().data().length;
            hdr.append(off == 0 ? "" : ",").append('"').append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(off).append(',').append(off + len).append("]}");
            off += len;
        }
        byte[] h = hdr.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate((int) (8 + h.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (var t : fp32.values()) for (float v : t.data()) b.putShort((short) (Float.floatToIntBits(v) >>> 16));
        Files.write(dir.resolve(SafeTensors.SINGLE), b.array());
        try (CausalLM l = CausalLM.open(dir, Device.cpu())) {
            float[] got = l.parameters().get("model.layers.0.mlp.up_proj.weight").toFloatArray();
            float[] src = fp32.get("model.layers.0.mlp.up_proj.weight").data();
            for (int i = 0; i < src.length; i++) {
                assertEquals(Float.intBitsToFloat(Float.floatToIntBits(src[i]) & 0xFFFF0000), got[i], 0f);
            }
        }
    }

    @Test
    void shardedLoadEqualsSingleFileLoad(@TempDir Path single, @TempDir Path sharded) throws Exception {
        List<int[]> prompts = List.of(new int[] {3, 4, 5});
        List<int[]> outs = List.of(new int[] {6, 7});
        try (CausalLM m = CausalLMTest.tiny(12)) {
            m.save(single);
            m.save(sharded);
        }
        Files.delete(sharded.resolve(SafeTensors.SINGLE));
        Map<String, SafeTensors.FloatTensor> all = new LinkedHashMap<>();
        SafeTensors.read(single.resolve(SafeTensors.SINGLE), all::put);
        Map<String, SafeTensors.FloatTensor> a = new LinkedHashMap<>();
        Map<String, SafeTensors.FloatTensor> b = new LinkedHashMap<>();
        StringBuilder idx = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        int i = 0;
        for (var e : all.entrySet()) {
            String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (i % 2 == 0 ? a : b).put(e.getKey(), e.getValue());
            idx.append(i++ == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
        }
        SafeTensors.write(sharded.resolve("model-00001-of-00002.safetensors"), a);
        SafeTensors.write(sharded.resolve("model-00002-of-00002.safetensors"), b);
        Files.writeString(sharded.resolve(SafeTensors.INDEX), idx.append("}}").toString());
        try (CausalLM s = CausalLM.open(single, Device.cpu()); CausalLM t = CausalLM.open(sharded, Device.cpu())) {
            assertArrayEquals(CausalLMTest.lp(s, prompts, outs), CausalLMTest.lp(t, prompts, outs), 0f);
        }
    }

    @Test
    void errorsNameWhatWasExpected(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CausalLM.open(dir.resolve("nope"), Device.cpu()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        try (CausalLM m = CausalLMTest.tiny(13)) {
            m.save(dir);
            // wrong shape on import: old weights kept
            Map<String, SafeTensors.FloatTensor> w = new LinkedHashMap<>();
            SafeTensors.read(m.exportWeights(), w::put);
            float[] before = m.parameters().get("model.norm.weight").toFloatArray();
            w.put("model.norm.weight", new SafeTensors.FloatTensor(new long[] {3}, new float[3]));
            e = assertThrows(IllegalArgumentException.class, () -> m.importWeights(SafeTensors.toBytes(w)));
            assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("[3]")
                    && e.getMessage().contains("[64]"), e.getMessage());
            assertArrayEquals(before, m.parameters().get("model.norm.weight").toFloatArray(), 0f);
            // missing tensor
            w.remove("model.norm.weight");
            e = assertThrows(IllegalArgumentException.class, () -> m.importWeights(SafeTensors.toBytes(w)));
            assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("model.norm.weight [64]"), e.getMessage());
        }
        Files.delete(dir.resolve(SafeTensors.SINGLE));
        e = assertThrows(IllegalArgumentException.class, () -> CausalLM.open(dir, Device.cpu()));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        Files.delete(dir.resolve(CharTokenizer.FILE_NAME));
        e = assertThrows(IllegalArgumentException.class, () -> CausalLM.open(dir, Device.cpu()));
        assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
        Files.delete(dir.resolve("config.json"));
        e = assertThrows(IllegalArgumentException.class, () -> CausalLM.open(dir, Device.cpu()));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }
}
