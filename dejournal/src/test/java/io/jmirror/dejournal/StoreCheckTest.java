package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptKey;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The data check between stores narrows each differing global to runs of differing nodes between nodes that agree,
 * and equal stores compare equal.
 */
class StoreCheckTest
{
    private static GlobalStore store()
    {
        final GlobalStore store = new GlobalStore();
        for (int i = 1; i <= 100; i++)
        {
            store.set("USER", "A", SubscriptKey.of(i), new byte[] {(byte)i});
            store.set("USER", "B", SubscriptKey.of(i, "x"), new byte[] {(byte)i});
        }
        return store;
    }

    @Test
    void equalStoresAreEqual()
    {
        final StoreCheck.Result result = StoreCheck.compare(store(), store(), 10);
        assertTrue(result.isEqual());
        assertEquals(2, result.globals());
        assertEquals(List.of(), result.ranges());
    }

    @Test
    void eachRunOfDifferingNodesIsOneRange()
    {
        final GlobalStore left = store();
        final GlobalStore right = store();
        for (int i = 10; i < 20; i++)
        {
            right.kill("USER", "B", SubscriptKey.of(i));
        }
        right.set("USER", "B", SubscriptKey.of(50, "x"), new byte[] {0});
        right.set("USER", "B", SubscriptKey.of(50, "y"), new byte[] {0});
        right.set("USER", "C", SubscriptKey.of("only"), new byte[] {0});

        final StoreCheck.Result result = StoreCheck.compare(left, right, 10);
        assertFalse(result.isEqual());
        assertEquals(List.of(GlobalName.of("USER", "B"), GlobalName.of("USER", "C")), result.differingGlobals());
        assertEquals(List.of(
            new StoreCheck.Range(GlobalName.of("USER", "B"), "(10,\"x\")", "(19,\"x\")", 10, 0, 0),
            new StoreCheck.Range(GlobalName.of("USER", "B"), "(50,\"x\")", "(50,\"y\")", 0, 1, 1),
            new StoreCheck.Range(GlobalName.of("USER", "C"), "(\"only\")", "(\"only\")", 0, 1, 0)), result.ranges());
        assertFalse(result.moreRanges());

        final StoreCheck.Result limited = StoreCheck.compare(left, right, 2);
        assertEquals(2, limited.ranges().size());
        assertTrue(limited.moreRanges());
        assertEquals(2, limited.differingGlobals().size(), "every differing global is named, whatever the limit");
    }
}
