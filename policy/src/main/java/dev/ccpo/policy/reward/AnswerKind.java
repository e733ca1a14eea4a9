package dev.ccpo.policy.reward;

/**
 * How a reference answer is compared. Same constant names as the Avro enum
 * {@code dev.ccpo.avro.AnswerKind}, which service-kit's WireMapping maps to and from.
 */
public enum AnswerKind {
    /** A number; compared with a relative tolerance. The last number of the output is a fallback answer. */
    NUMERIC,
    /** A LaTeX expression, tuple, interval, set, equation or word; compared after normalization, then symbolically. */
    LATEX,
    /** An option letter A, B, C, ... */
    CHOICE
}
