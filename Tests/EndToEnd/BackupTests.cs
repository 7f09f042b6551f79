using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>The postgres resource's "Back up" and "Restore latest" commands, in Local mode with real processes.</summary>
public class BackupTests
{
    private const string Database = "ichrisbirch_test";

    [Fact]
    public async Task Every_row_written_before_a_backup_is_back_after_the_database_is_wiped_and_restored_by_the_dashboard_command_or_the_scripts()
    {
        using var data = new ScratchDirectory();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101); // the postgres user must reach it
        await using var stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false", $"--Ichrisbirch:Local:DataDirectory={data.Path}");
        await stack.WaitHealthyAsync(Stack.Services);
        var commands = stack.App.Services.GetRequiredService<ResourceCommandService>();

        var nothingYet = await commands.ExecuteCommandAsync("postgres", LocalPostgresBackupExtensions.RestoreLatestCommand);
        Assert.False(nothingYet.Success);
        Assert.Contains("run \"Back up\" first", nothingYet.Message);

        var api = stack.Client("api");
        api.DefaultRequestHeaders.Add("X-API-Key", "testing-api-secret-key");
        for (var i = 0; i < 5; i++)
        {
            using var habit = await api.PostAsJsonAsync("/habits/", new { name = $"Habit {i} {Guid.NewGuid():N}", category = $"c{i}" });
            Assert.Equal(HttpStatusCode.Created, habit.StatusCode);
            // Priority 1 is the floor, so the scheduler's job leaves these rows alone while the test compares them.
            using var task = await api.PostAsJsonAsync("/tasks/", new { name = $"Task {i} {Guid.NewGuid():N}", priority = 1 });
            Assert.Equal(HttpStatusCode.Created, task.StatusCode);
        }
        var before = await RowsAsync(stack);
        Assert.True(before["habits"].Count >= 5 && before["tasks"].Count >= 5);

        var backup = await commands.ExecuteCommandAsync("postgres", LocalPostgresBackupExtensions.BackupCommand);
        Assert.True(backup.Success, backup.Message);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(data.Path, "backups"), $"{Database}-*.dump"));
        Assert.True(new FileInfo(file).Length > 0);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));

        await CacheAHabitTheBackupLacksAsync(api);
        await ExecuteAsync(stack, "DROP TABLE habits.habits, public.tasks CASCADE");
        Assert.Empty((await RowsAsync(stack)).Values.SelectMany(rows => rows));

        var restore = await commands.ExecuteCommandAsync("postgres", LocalPostgresBackupExtensions.RestoreLatestCommand);
        Assert.True(restore.Success, restore.Message);
        var after = await RowsAsync(stack);
        Assert.Equal(before["habits"], after["habits"]);
        Assert.Equal(before["tasks"], after["tasks"]);
        Assert.Contains(await stack.LogsAsync("postgres"), l => l.Contains($"Restored {Database} from {file}", StringComparison.Ordinal));
        Assert.Equal(["ichrisbirch_app"], await TableOwnersAsync(stack)); // restored as the database's owner, not the superuser
        Assert.Equal(before["habits"].Count, await ApiHabitCountAsync(api)); // the api's cached list was dropped

        // The api writes into the restored tables (sequences restored too: no duplicate key).
        using (var next = await api.PostAsJsonAsync("/habits/", new { name = $"After restore {Guid.NewGuid():N}", category = "c" }))
        {
            Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        }

        // The scripts, with the connection a user has (Testing's settings; the test builder moved the port) and
        // the same backups folder as the command: restore.sh without FILE takes the newest, the script's own.
        before = await RowsAsync(stack);
        var port = new NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync("postgres")).Port;
        var environment = new Dictionary<string, string>
        {
            ["Ichrisbirch__PostgresPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ichrisbirch__RedisPort"] = new Uri($"tcp://{await stack.App.GetConnectionStringAsync("redis")}".Split(',')[0]).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ichrisbirch__Local__DataDirectory"] = data.Path,
        };
        var (backedUp, backupOutput) = await ScriptAsync(environment, "backup.sh", "Testing");
        Assert.True(backedUp == 0, backupOutput);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(data.Path, "backups"), $"{Database}-*.dump").Length);

        await CacheAHabitTheBackupLacksAsync(api);
        await ExecuteAsync(stack, "DROP TABLE habits.habits, public.tasks CASCADE");
        var (restored, restoreOutput) = await ScriptAsync(environment, "restore.sh", "Testing");
        Assert.True(restored == 0, restoreOutput);
        after = await RowsAsync(stack);
        Assert.Equal(before["habits"], after["habits"]);
        Assert.Equal(before["tasks"], after["tasks"]);
        Assert.Equal(before["habits"].Count, await ApiHabitCountAsync(api));
        Assert.DoesNotContain("could not empty the Redis cache", restoreOutput, StringComparison.Ordinal);
        Assert.Equal(["ichrisbirch_app"], await TableOwnersAsync(stack));
    }

    /// <summary>A habit written after the backup and read through the api, so that Redis caches a list holding it.</summary>
    private static async Task CacheAHabitTheBackupLacksAsync(HttpClient api)
    {
        using var created = await api.PostAsJsonAsync("/habits/", new { name = $"Not in the backup {Guid.NewGuid():N}", category = "c" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ApiHabitCountAsync(api);
        using var cached = await api.GetAsync("/habits/");
        Assert.Equal("hit", cached.Headers.GetValues("X-Cache").Single());
    }

    private static async Task<int> ApiHabitCountAsync(HttpClient api)
        => (await api.GetFromJsonAsync<System.Text.Json.JsonElement>("/habits/")).GetArrayLength();

    [Theory]
    [InlineData("backup.sh Staging", 2, "db-connection: unknown environment 'Staging': use Development, Testing or Production")]
    [InlineData("backup.sh Production", 2, "db-connection: Production has no postgres-password: set PGPASSWORD, or supply the parameter as for the AppHost")]
    [InlineData("restore.sh", 2, "usage: scripts/restore.sh Development|Testing|Production [FILE]")]
    [InlineData("restore.sh Testing /nonexistent/x.dump", 2, "restore: no such file: /nonexistent/x.dump. Make one with scripts/backup.sh Testing")]
    [InlineData("restore.sh Testing", 2, "restore: no backup of ichrisbirch_test in {backups}. Make one with scripts/backup.sh Testing")]
    [InlineData("backup.sh Testing {backups}/x.dump", 1, "backup: pg_dump of ichrisbirch_test on 127.0.0.1:{port} failed: is the Testing stack running (scripts/run.sh --environment Testing)?")]
    public async Task Script_given_bad_input_or_no_running_stack_fails_with_a_line_that_names_the_fix(string command, int exitCode, string expected)
    {
        using var data = new ScratchDirectory();
        var backups = Path.Combine(data.Path, "backups");
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        listener.Stop(); // a port nobody listens on: the stack is "not running"
        var words = command.Replace("{backups}", backups, StringComparison.Ordinal).Split(' ');
        var (code, output) = await ScriptAsync(
            new() { ["Ichrisbirch__Local__DataDirectory"] = data.Path, ["Ichrisbirch__PostgresPort"] = port },
            words[0], words[1..]);
        Assert.Equal(exitCode, code);
        Assert.Contains(expected.Replace("{backups}", backups, StringComparison.Ordinal).Replace("{port}", port, StringComparison.Ordinal), output, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output)> ScriptAsync(Dictionary<string, string> environment, string script, params string[] args)
        => Processes.RunAsync("bash", [Path.Combine(Repository.Root, "scripts", script), .. args], environment: environment);

    /// <summary>Every row of habits and tasks, each as one text line, ordered by id; a missing table has none.</summary>
    private static async Task<Dictionary<string, List<string>>> RowsAsync(Stack stack)
    {
        var rows = new Dictionary<string, List<string>>();
        await using var connection = await OpenAsync(stack);
        foreach (var (table, qualified) in new[] { ("habits", "habits.habits"), ("tasks", "public.tasks") })
        {
            rows[table] = [];
            await using var exists = new NpgsqlCommand($"SELECT to_regclass('{qualified}') IS NOT NULL", connection);
            if (!(bool)(await exists.ExecuteScalarAsync())!) continue;
            await using var select = new NpgsqlCommand($"SELECT t::text FROM {qualified} t ORDER BY id", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows[table].Add(reader.GetString(0));
        }
        return rows;
    }

    /// <summary>The roles owning the habits and tasks tables.</summary>
    private static async Task<List<string>> TableOwnersAsync(Stack stack)
    {
        await using var connection = await OpenAsync(stack);
        await using var select = new NpgsqlCommand("SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid IN ('habits.habits'::regclass, 'public.tasks'::regclass)", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var owners = new List<string>();
        while (await reader.ReadAsync()) owners.Add(reader.GetString(0));
        return owners;
    }

    private static async Task ExecuteAsync(Stack stack, string sql)
    {
        await using var connection = await OpenAsync(stack);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenAsync(Stack stack)
    {
        var connectionString = await stack.App.GetConnectionStringAsync("postgres");
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = Database, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
