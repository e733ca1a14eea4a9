package dev.ccpo.serde;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate generated classes outside its trusted packages; ours are in
 * dev.ccpo.avro. Trusting them in code, not only through -Dorg.apache.avro.SERIALIZABLE_PACKAGES,
 * makes every entry point (apps, tests, tools) behave the same. Avro's validator is JVM-wide,
 * so this is done once, by class initialization.
 */
final class TrustedPackages {
    private static final String PACKAGE = "dev.ccpo.avro.";

    static {
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(), c -> c.getName().startsWith(PACKAGE)));
    }

    private TrustedPackages() { }

    /** Forces the class initializer above; cheap after the first call. */
    static void trust() { }
}
