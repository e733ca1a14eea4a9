package dev.ccpo.weights;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A complete, verified set of weights for one role at one policy version (safetensors bytes). */
public record WeightsBlob(String modelId, String role, long policyVersion, byte[] bytes, String sha256) {

    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}
