package dev.ccpo.policy.reward;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hipparchus.complex.Complex;
import org.matheclipse.core.eval.EvalEngine;
import org.matheclipse.core.eval.ExprEvaluator;
import org.matheclipse.core.expression.F;
import org.matheclipse.core.form.tex.TeXParser;
import org.matheclipse.core.interfaces.IExpr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Symbolic equality of two LaTeX expressions with Symja, under a time limit.
 *
 * <p>Symja's engine is bound to a thread, so all of its work runs on one daemon thread owned by
 * this instance (created lazily; start-up takes ~1.5 s). Callers on any thread are serialized by
 * a lock: thread-safe, one comparison at a time. For parallel scoring use one instance per worker.
 */
final class SymjaEvaluator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SymjaEvaluator.class);
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(120);

    /** LaTeX commands TeXParser understands; anything else would be parsed as a product of letters. */
    private static final Pattern COMMAND = Pattern.compile("\\\\([a-zA-Z]+)");
    private static final Set<String> KNOWN_COMMANDS = Set.of(
            "frac", "sqrt", "pi", "cdot", "times", "div", "infty", "sin", "cos", "tan", "cot", "sec", "csc",
            "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log", "ln", "exp",
            "alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "phi", "omega", "sigma", "tau", "rho", "psi");
    private static final Pattern SCIENTIFIC = Pattern.compile("(\\d)[eE]([-+]?\\d+)");
    private static final Pattern BINOM = Pattern.compile("\\\\binom\\{([^{}]*)}\\{([^{}]*)}");

    private final Duration timeout;
    private final double relTolerance;
    private final Object lock = new Object();
    private ExecutorService thread; // guarded by lock
    // Created on the Symja thread and only used there; read under lock to hand to each task.
    private ExprEvaluator evaluator;
    private TeXParser parser;

    SymjaEvaluator(Duration timeout, double relTolerance) {
        this.timeout = timeout;
        this.relTolerance = relTolerance;
    }

    /** Rewrites normalized LaTeX into what TeXParser reads; null if it has parts TeXParser would misread. */
    static String toParserInput(String latex) {
        String s = BINOM.matcher(latex).replaceAll(m -> Matcher.quoteReplacement(
                "\\frac{(" + m.group(1) + ")!}{(" + m.group(2) + ")!((" + m.group(1) + ")-(" + m.group(2) + "))!}"));
        s = SCIENTIFIC.matcher(s).replaceAll("$1\\\\times10^{$2}");
        Matcher m = COMMAND.matcher(s);
        while (m.find()) {
            if (!KNOWN_COMMANDS.contains(m.group(1))) return null;
        }
        if (s.matches(".*(?:[=<>|&;]|\\\\[{}\\\\]).*")) return null; // relations, sets, matrices
        return s;
    }

    /**
     * Whether a equals b (or -b, when allowNegation) as values or expressions. False when either
     * side does not parse, on any Symja error, and when the time limit passes.
     */
    boolean equivalent(String a, String b, boolean allowNegation) {
        String pa = toParserInput(a);
        String pb = toParserInput(b);
        if (pa == null || pb == null) return false;
        synchronized (lock) {
            if (!start()) return false;
            ExprEvaluator ev = evaluator;
            TeXParser tp = parser;
            Future<Boolean> result = thread.submit(() -> compare(ev, tp, pa, pb, allowNegation));
            try {
                return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.debug("Symja timed out after {} comparing {} and {}", timeout, a, b);
                abandon(result);
                return false;
            } catch (ExecutionException e) {
                log.debug("Symja failed comparing {} and {}: {}", a, b, e.getCause().toString());
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abandon(result);
                return false;
            }
        }
    }

    private boolean compare(ExprEvaluator ev, TeXParser tp, String a, String b, boolean allowNegation) {
        ev.getEvalEngine().setStopRequested(false);
        IExpr ea = tp.parse(a);
        IExpr eb = tp.parse(b);
        // Constants: numbers decide, no algebra needed.
        Boolean numeric = numericallyEqual(ev, ea, eb);
        if (numeric != null) {
            return numeric || allowNegation && Boolean.TRUE.equals(numericallyEqual(ev, ea, F.Negate(eb)));
        }
        if (isZero(ev, F.Subtract(ea, eb))) return true;
        return allowNegation && isZero(ev, F.Plus(ea, eb));
    }

    /** Whether two constants are equal within the relative tolerance; null when neither is a number. */
    private Boolean numericallyEqual(ExprEvaluator ev, IExpr a, IExpr b) {
        IExpr na = ev.eval(F.N(a));
        IExpr nb = ev.eval(F.N(b));
        if (na.isNumber() != nb.isNumber()) return false; // a constant never equals an expression with free symbols
        if (!na.isNumber()) return null;
        try {
            Complex ca = na.evalfc();
            Complex cb = nb.evalfc();
            return Tolerance.close(ca.getReal(), cb.getReal(), relTolerance)
                    && Tolerance.close(ca.getImaginary(), cb.getImaginary(), relTolerance);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean isZero(ExprEvaluator ev, IExpr difference) {
        IExpr quick = ev.eval(F.Together(F.ExpandAll(difference)));
        if (quick.isZero()) return true;
        if (quick.isNumber()) return false; // a nonzero constant: no need to try harder
        return ev.eval(F.PossibleZeroQ(difference)).isTrue();
    }

    /** Starts the Symja thread and engine once; false if that failed. */
    private boolean start() {
        if (thread != null) return true;
        long t0 = System.nanoTime();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ccpo-symja");
            t.setDaemon(true);
            return t;
        });
        Future<?> init = executor.submit(() -> {
            ExprEvaluator ev = new ExprEvaluator(true, (short) 0);
            PrintStream silent = new PrintStream(OutputStream.nullOutputStream());
            ev.getEvalEngine().setOutPrintStream(silent);
            ev.getEvalEngine().setErrorPrintStream(silent);
            ev.getEvalEngine().setQuietMode(true);
            evaluator = ev;
            parser = new TeXParser();
        });
        try {
            init.get(STARTUP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("Symja did not start; symbolic comparison disabled for this call", e);
            executor.shutdownNow();
            return false;
        }
        thread = executor;
        log.debug("Symja started in {} ms", (System.nanoTime() - t0) / 1_000_000);
        return true;
    }

    /** Stops a runaway evaluation; if the thread does not come back, a fresh one is started next time. */
    private void abandon(Future<Boolean> result) {
        EvalEngine engine = evaluator == null ? null : evaluator.getEvalEngine();
        if (engine != null) engine.stopRequest();
        result.cancel(true);
        Future<?> probe = thread.submit(() -> { });
        try {
            probe.get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("Symja thread stuck after a timeout; starting a new one");
            thread.shutdownNow();
            thread = null;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (thread != null) thread.shutdownNow();
            thread = null;
        }
    }
}
