package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Device selection: "auto" (CUDA when the engine sees a GPU, else CPU), "cpu", "cuda", "cuda:N". */
public final class Devices {
    private Devices() {}

    public static Device pick(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        int gpus = Engine.getInstance().getGpuCount();
        if (s.equals("auto")) return gpus > 0 ? Device.gpu(0) : Device.cpu();
        if (s.equals("cpu")) return Device.cpu();
        if (s.equals("cuda") || s.equals("gpu") || s.startsWith("cuda:")) {
            int id = s.startsWith("cuda:") ? parse(s.substring(5), spec) : 0;
            if (id >= gpus) {
                throw new IllegalArgumentException("device " + spec + " requested but the engine sees " + gpus + " GPU(s)");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N, got " + spec);
    }

    private static int parse(String n, String spec) {
        try {
            return Integer.parseInt(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad GPU index in device " + spec, e);
        }
    }
}
