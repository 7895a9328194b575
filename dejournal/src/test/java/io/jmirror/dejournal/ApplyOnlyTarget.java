package io.jmirror.dejournal;

/**
 * A test target that only applies: no checkpoint to keep, and nothing recovered, so every replay starts at the
 * beginning of the journal.
 */
abstract class ApplyOnlyTarget implements Target
{
    @Override
    public void checkpoint(final long appliedLsn)
    {
    }

    @Override
    public long recoveredLsn()
    {
        return -1;
    }
}
