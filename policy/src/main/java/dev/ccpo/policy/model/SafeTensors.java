package dev.ccpo.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Reads and writes safetensors by hand: 8-byte little-endian header length, JSON header, raw little-endian data.
 * F32, F16 and BF16 are read into fp32 on the CPU (BF16 converted bit by bit here, because DJL aborts the JVM
 * on CPU bf16 arrays). Files are always written as F32.
 */
public final class SafeTensors {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An fp32 tensor on the Java heap. */
    public record FloatTensor(long[] shape, float[] data) {
        public FloatTensor {
            long n = 1;
            for (long d : shape) n *= d;
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
            }
        }
    }

    private SafeTensors() {}

    /** Reads every tensor of one file, in header order, into fp32. */
    public static void read(Path file, BiConsumer<String, FloatTensor> sink) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > ch.size()) {
                throw new IllegalArgumentException(file + ": not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8, file);
            JsonNode header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            long base = 8 + headerLen;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                long begin = e.getValue().get("data_offsets").get(0).asLong();
                long end = e.getValue().get("data_offsets").get(1).asLong();
                if (base + end > ch.size()) {
                    throw new IllegalArgumentException(file + ": tensor " + e.getKey() + " data ends past the end of the file");
                }
                ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, base + begin, end - begin);
                sink.accept(e.getKey(), decode(e.getKey(), e.getValue(), data, file.toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every tensor of an in-memory safetensors file. */
    public static void read(byte[] bytes, BiConsumer<String, FloatTensor> sink) {
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) throw new IllegalArgumentException("safetensors bytes too short: " + bytes.length);
        long headerLen = all.getLong(0);
        if (headerLen <= 0 || 8 + headerLen > bytes.length) {
            throw new IllegalArgumentException("not a safetensors byte array (header length " + headerLen + ")");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("bad safetensors header: " + e.getMessage(), e);
        }
        int base = 8 + (int) headerLen;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            int begin = e.getValue().get("data_offsets").get(0).asInt();
            int end = e.getValue().get("data_offsets").get(1).asInt();
            if (base + end > bytes.length) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " data ends past the end of the bytes");
            }
            ByteBuffer data = ByteBuffer.wrap(bytes, base + begin, end - begin).slice();
            sink.accept(e.getKey(), decode(e.getKey(), e.getValue(), data, "<bytes>"));
        }
    }

    private static FloatTensor decode(String name, JsonNode info, ByteBuffer data, String where) {
        String dtype = info.get("dtype").asText();
        JsonNode sh = info.get("shape");
        long[] shape = new long[sh.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = sh.get(i).asLong();
            n *= shape[i];
        }
        int width = switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException(where + ": tensor " + name + " has dtype " + dtype
                    + "; supported are F32, F16, BF16");
        };
        if ((long) data.remaining() != n * width) {
            throw new IllegalArgumentException(where + ": tensor " + name + " of shape " + Arrays.toString(shape)
                    + " and dtype " + dtype + " needs " + n * width + " bytes, found " + data.remaining());
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(where + ": tensor " + name + " too large for one Java array: " + n);
        }
        data.order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) n];
        switch (dtype) {
            case "F32" -> data.asFloatBuffer().get(out);
            case "F16" -> {
                for (int i = 0; i < out.length; i++) out[i] = halfToFloat(data.getShort(i * 2));
            }
            default -> {
                // bf16 is the top half of an fp32: shift the 16 bits into place.
                for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((data.getShort(i * 2) & 0xFFFF) << 16);
            }
        }
        return new FloatTensor(shape, out);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) throw new IllegalArgumentException(file + ": truncated safetensors file");
        }
    }

    /** IEEE 754 half to float (Float.float16ToFloat needs Java 20). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Serializes tensors (in map order) as one F32 safetensors file. */
    public static byte[] toBytes(Map<String, FloatTensor> tensors) {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, FloatTensor> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            long len = 4L * e.getValue().data().length;
            t.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        header.putObject("__metadata__").put("format", "pt");
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8; // keep data 8-byte aligned, as the reference writer does
        long total = 8L + h.length + pad + offset;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("weights too large for one byte array: " + total + " bytes");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length + pad).put(h);
        for (int i = 0; i < pad; i++) out.put((byte) ' ');
        for (FloatTensor t : tensors.values()) {
            out.asFloatBuffer().put(t.data());
            out.position(out.position() + 4 * t.data().length);
        }
        return out.array();
    }

    public static void write(Path file, Map<String, FloatTensor> tensors) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, toBytes(tensors));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Reads a checkpoint folder's weights: sharded via model.safetensors.index.json when present,
     * else model.safetensors. Errors name the folder and the files looked for.
     */
    public static void readFolder(Path dir, BiConsumer<String, FloatTensor> sink) {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            Set<String> files = new LinkedHashSet<>();
            try {
                JsonNode wm = JSON.readTree(index.toFile()).get("weight_map");
                if (wm == null) throw new IllegalArgumentException(index + " has no weight_map");
                wm.forEach(f -> files.add(f.asText()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + index, e);
            }
            for (String f : files) {
                Path shard = dir.resolve(f);
                if (!Files.isRegularFile(shard)) {
                    throw new IllegalArgumentException(index + " names shard " + f + " but " + shard + " does not exist");
                }
                read(shard, sink);
            }
            return;
        }
        Path single = dir.resolve(SINGLE);
        if (!Files.isRegularFile(single)) {
            throw new IllegalArgumentException("no weights in " + dir + ": expected " + SINGLE + " or " + INDEX);
        }
        read(single, sink);
    }
}
