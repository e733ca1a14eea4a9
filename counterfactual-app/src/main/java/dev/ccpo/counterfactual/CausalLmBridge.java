package dev.ccpo.counterfactual;

import dev.ccpo.policy.ChatModel;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Opens the real model (dev.ccpo.policy.model.CausalLM, model-api.md) by reflection, because that
 * class is being added to the policy module in parallel: this module compiles and its unit tests run
 * before it lands, and main fails with a clear message if the installed policy jar lacks it.
 * Replace with direct calls once policy ships CausalLM.
 */
final class CausalLmBridge {
    private static final String CLASS = "dev.ccpo.policy.model.CausalLM";

    private CausalLmBridge() { }

    /** CausalLM.open(dir, device) with the base checkpoint; device "cpu" or "gpu". */
    static ChatModel open(Path checkpointDir, String device) {
        try {
            Class<?> lm = Class.forName(CLASS);
            Class<?> dev = Class.forName("ai.djl.Device");
            Object d = dev.getMethod("fromName", String.class).invoke(null, device);
            return (ChatModel) lm.getMethod("open", Path.class, dev).invoke(null, checkpointDir, d);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("model.dir: " + CLASS + " is not in the installed policy module yet; cannot open " + checkpointDir, e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("model.dir: cannot open checkpoint " + checkpointDir + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("model API mismatch in " + CLASS + ": " + e, e);
        }
    }

    /** A fresh model from the base checkpoint with the given safetensors weights; throws if they do not fit. */
    static ChatModel openWithWeights(Path checkpointDir, String device, byte[] safetensors) throws Exception {
        ChatModel m = open(checkpointDir, device);
        try {
            Method imp = m.getClass().getMethod("importWeights", byte[].class);
            imp.invoke(m, (Object) safetensors);
            return m;
        } catch (InvocationTargetException e) {
            m.close();
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
