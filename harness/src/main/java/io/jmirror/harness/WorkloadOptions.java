package io.jmirror.harness;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The synthetic application's shape. Shared by {@code demo}, {@code soak} and the primary node process, which
 * receives the same options on its command line ({@link #toArguments()}).
 */
final class WorkloadOptions
{
    @Option(names = "--databases", defaultValue = "2", description = "Databases the globals are spread over "
        + "(default: ${DEFAULT-VALUE}).")
    int databases;

    @Option(names = "--globals", defaultValue = "200", description = "Globals written (default: ${DEFAULT-VALUE}).")
    int globals;

    @Option(names = "--keys", defaultValue = "100", description = "First-level subscripts per global; bounds the "
        + "nodes held (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--zipf", defaultValue = "0.8", description = "Zipf exponent of the global chosen for each "
        + "change: 0 is uniform, higher is more skewed (default: ${DEFAULT-VALUE}).")
    double zipf;

    @Option(names = "--value-size", defaultValue = "100", description = "Bytes per value, at least 8: the node's "
        + "version, then filler (default: ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--value-size-max", defaultValue = "0", description = "When above --value-size, each value's "
        + "size is drawn uniformly from --value-size to this (default: every value is --value-size).")
    int valueSizeMax;

    @Option(names = "--depth", defaultValue = "3", description = "Deepest subscript level (default: "
        + "${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--txn-percent", defaultValue = "1", description = "Share of changes made as a transaction of "
        + "2 to 5 SETs with TSTART/TCOMMIT; each waits for awaitCommitted (default: ${DEFAULT-VALUE}).")
    int txnPercent;

    @Option(names = "--rollback-percent", defaultValue = "10", description = "Share of transactions rolled back: the "
        + "application journals the undo, then TROLLBACK (default: ${DEFAULT-VALUE}).")
    int rollbackPercent;

    @Option(names = "--rate", defaultValue = "20000", description = "Target records per second; 0 is as fast as "
        + "possible (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--writers", defaultValue = "1", description = "Application threads writing (default: "
        + "${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--seed", defaultValue = "1", description = "Makes the run repeatable (default: "
        + "${DEFAULT-VALUE}).")
    long seed;

    /**
     * @throws IllegalArgumentException naming the option that is out of range.
     */
    void validate()
    {
        check(databases >= 1, "--databases must be at least 1: " + databases);
        check(globals >= 1, "--globals must be at least 1: " + globals);
        check(keys >= 1, "--keys must be at least 1: " + keys);
        check(zipf >= 0, "--zipf must be 0 or more: " + zipf);
        check(valueSize >= VersionedValue.MIN_LENGTH && valueSize <= 1024 * 1024,
            "--value-size must be 8 to 1048576: " + valueSize);
        check(valueSizeMax == 0 || valueSizeMax >= valueSize && valueSizeMax <= 1024 * 1024,
            "--value-size-max must be 0, or --value-size to 1048576: " + valueSizeMax);
        check(depth >= 1 && depth <= 8, "--depth must be 1 to 8: " + depth);
        check(txnPercent >= 0 && txnPercent <= 100, "--txn-percent must be 0 to 100: " + txnPercent);
        check(rollbackPercent >= 0 && rollbackPercent <= 100,
            "--rollback-percent must be 0 to 100: " + rollbackPercent);
        check(rate >= 0, "--rate must be 0 (as fast as possible) or more: " + rate);
        check(writers >= 1 && writers <= 64, "--writers must be 1 to 64: " + writers);
    }

    List<String> toArguments()
    {
        final List<String> args = new ArrayList<>();
        add(args, "--databases", databases);
        add(args, "--globals", globals);
        add(args, "--keys", keys);
        add(args, "--zipf", zipf);
        add(args, "--value-size", valueSize);
        add(args, "--value-size-max", valueSizeMax);
        add(args, "--depth", depth);
        add(args, "--txn-percent", txnPercent);
        add(args, "--rollback-percent", rollbackPercent);
        add(args, "--rate", rate);
        add(args, "--writers", writers);
        add(args, "--seed", seed);
        return args;
    }

    private static void add(final List<String> args, final String name, final Object value)
    {
        args.add(name);
        args.add(String.valueOf(value));
    }

    private static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
