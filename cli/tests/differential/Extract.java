// Extracts zips with java.util.zip.ZipInputStream, the way a typical Java
// installer does (entries in stream order, local headers only, later
// entries overwrite earlier ones), for cli/tests/differential.rs. Run as a
// single-file program: `java Extract.java < jobs`; one job per line,
// `ID<TAB>ARCHIVE<TAB>DEST`. Prints `ID<TAB>ok`, `ID<TAB>error<TAB>message`
// when the stream raised, and `ID<TAB>escape<TAB>HEXNAME` for an entry that
// would be written outside DEST ("zip slip"): recorded, never written.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

public class Extract {
    static String hex(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) b.append(String.format("%02x", x & 0xff));
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t");
            List<String> escapes = new ArrayList<>();
            try (ZipInputStream z = new ZipInputStream(new BufferedInputStream(new FileInputStream(f[1])))) {
                Path dest = Paths.get(f[2]).toAbsolutePath().normalize();
                ZipEntry e;
                while ((e = z.getNextEntry()) != null) {
                    Path p = dest.resolve(e.getName()).normalize();
                    if (!p.startsWith(dest)) {
                        escapes.add(hex(e.getName()));
                        continue;
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(p);
                    } else {
                        Files.createDirectories(p.getParent());
                        Files.copy(z, p, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (Exception ex) {
                out.println(f[0] + "\terror\t" + (ex.getClass().getSimpleName() + ": " + ex.getMessage()).replace('\t', ' ').replace('\n', ' '));
                continue;
            }
            for (String s : escapes) out.println(f[0] + "\tescape\t" + s);
            out.println(f[0] + "\tok");
        }
    }
}
