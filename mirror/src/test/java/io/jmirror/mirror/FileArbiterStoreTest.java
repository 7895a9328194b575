package io.jmirror.mirror;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The arbiter's state file: what is saved loads back the same, and a file written before revokes carried an LSN
 * still loads, its revokes holding for the rest of their epoch.
 */
class FileArbiterStoreTest
{
    @TempDir
    Path dir;

    @Test
    void revokeLsnsRoundTrip()
    {
        final List<ArbiterRecord.Start> starts = List.of(new ArbiterRecord.Start(1, 0),
            new ArbiterRecord.Start(2, 8192, true));
        final Map<String, ArbiterRecord> records = new TreeMap<>();
        records.put("A", new ArbiterRecord("A", 2, "n1", "n2", false, false, false, true, 12288, starts));
        records.put("B", new ArbiterRecord("B", 2, "n1", "n2", false, false, false, true,
            ArbiterRecord.REVOKED_FOR_THE_EPOCH, starts));
        records.put("C", new ArbiterRecord("C", 3, "n1", "n2", true, true, false, false, 4096, starts));
        records.put("D", new ArbiterRecord("D", 1, "n1", null, false, false, true, false, ArbiterRecord.NO_REVOKE,
            List.of()));
        records.put("E", new ArbiterRecord("E", 2, "n1", "dr", false, false, false, true, 4096, starts, true));
        final FileArbiterStore store = new FileArbiterStore(dir);
        store.save(records);
        assertEquals(records, new FileArbiterStore(dir).load());
    }

    @Test
    void aFileWithoutRevokeLsnsLoadsWithEachRevokeHeldForTheRestOfItsEpoch() throws Exception
    {
        final String body = "jmirror-arbiter 1\n" +
            "mirror=CLINIC epoch=2 primary=node-b backup=node-a backupActive=false noFailover=false " +
            "handedOver=false revoked=true starts=1@0,2@4096\n" +
            "mirror=OTHER epoch=1 primary=node-a backup=node-b backupActive=true noFailover=false " +
            "handedOver=false revoked=false starts=1@0\n";
        final CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve(FileArbiterStore.FILE_NAME), body + "crc32c=" + crc.getValue() + "\n");

        final Map<String, ArbiterRecord> loaded = new FileArbiterStore(dir).load();
        final ArbiterRecord clinic = loaded.get("CLINIC");
        assertTrue(clinic.revoked());
        assertEquals(ArbiterRecord.REVOKED_FOR_THE_EPOCH, clinic.revokedLsn());
        assertEquals(List.of(new ArbiterRecord.Start(1, 0), new ArbiterRecord.Start(2, 4096)), clinic.starts());
        assertFalse(clinic.backupJoined(), "a file from before joins has no joined backup");
        final ArbiterRecord other = loaded.get("OTHER");
        assertFalse(other.revoked());
        assertEquals(ArbiterRecord.NO_REVOKE, other.revokedLsn());
        assertTrue(other.backupActive());

        // Saved again, it keeps what it meant: the old revoke still admits no report.
        new FileArbiterStore(dir).save(loaded);
        final String saved = Files.readString(dir.resolve(FileArbiterStore.FILE_NAME), StandardCharsets.UTF_8);
        assertTrue(saved.contains("revoked=true revokedLsn=max"), saved);
        assertEquals(loaded, new FileArbiterStore(dir).load());
    }
}
