using System.Diagnostics;
using System.Globalization;

namespace Ichrisbirch.AppHost;

/// <summary>Linux's process table (/proc), read for the AppHost's own processes. A process gone meanwhile reads as empty.</summary>
internal static class ProcFs
{
    /// <summary>The process's arguments (argv[0] first); empty when it is gone or a zombie.</summary>
    public static string[] Arguments(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The parent's pid; 0 when the process is gone.</summary>
    public static int Parent(int pid) => Stat(pid) is { Length: > 1 } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;

    /// <summary>The start time in clock ticks since boot (with the pid, the process's identity); 0 when it is gone.</summary>
    public static long StartTime(int pid) => Stat(pid) is { Length: > 19 } fields ? long.Parse(fields[19], CultureInfo.InvariantCulture) : 0;

    /// <summary>Every live descendant of <paramref name="root"/>.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            var parent = Parent(pid);
            if (parent == 0) continue;
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
            list.Add(pid);
        }
        var found = new List<int>();
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            if (!children.TryGetValue(pid, out var list)) continue;
            found.AddRange(list);
            list.ForEach(pending.Push);
        }
        return found;
    }

    /// <summary>Kills the process (SIGKILL); nothing when it is gone.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }

    /// <summary>/proc/PID/stat's fields after the command name (state first: index 0 is field 3 of proc(5)).</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
