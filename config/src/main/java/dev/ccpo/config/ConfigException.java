package dev.ccpo.config;

/** A configuration problem, with a message that names the key, where it came from, and what is allowed. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) { super(message); }
}
