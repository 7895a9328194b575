package io.jmirror.harness;

import java.util.Arrays;
import java.util.Random;

/**
 * Draws 0..n-1 with probability proportional to 1/(i+1)^s, by binary search of the cumulative distribution. An
 * exponent of 0 is uniform.
 */
final class ZipfSampler
{
    private final double[] cumulative;

    ZipfSampler(final int n, final double exponent)
    {
        cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += 1.0 / Math.pow(i + 1, exponent);
            cumulative[i] = sum;
        }
        for (int i = 0; i < n; i++)
        {
            cumulative[i] /= sum;
        }
    }

    int next(final Random random)
    {
        final int index = Arrays.binarySearch(cumulative, random.nextDouble());
        final int slot = index >= 0 ? index : -index - 1;
        return Math.min(slot, cumulative.length - 1);
    }
}
