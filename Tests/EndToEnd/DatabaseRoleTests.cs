using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>The services connect as the application role, which owns the database and may do nothing a superuser may (Local mode, real processes).</summary>
public class DatabaseRoleTests
{
    private const string Role = "ichrisbirch_app";

    [Fact]
    public async Task The_api_connects_as_a_role_that_owns_the_schema_and_is_refused_create_role_and_copy_from_program()
    {
        await using var stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false");
        await stack.WaitHealthyAsync(Stack.Services);
        var env = ApiEnvironment(stack);
        Assert.Equal(Role, env["POSTGRES_USERNAME"]);
        Assert.Equal("testing-postgres-app-password", env["POSTGRES_PASSWORD"]);
        Assert.Equal(env["POSTGRES_USERNAME"], SchedulerEnvironment(stack)["POSTGRES_USERNAME"]);

        await using var api = await OpenAsync(env);
        Assert.Equal([Role], await ColumnAsync(api, "SELECT current_user::text"));
        Assert.Equal(["f f f f"], await ColumnAsync(api,
            "SELECT format('%s %s %s %s', rolsuper, rolcreaterole, rolcreatedb, rolreplication) FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal(["f f f"], await ColumnAsync(api,
            "SELECT format('%s %s %s', pg_has_role('pg_execute_server_program', 'MEMBER'), pg_has_role('pg_read_server_files', 'MEMBER'), pg_has_role('pg_write_server_files', 'MEMBER'))"));
        // It owns the database, its schemas and the tables the services made.
        Assert.Equal([Role], await ColumnAsync(api,
            "SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid IN ('habits.habits'::regclass, 'public.tasks'::regclass) " +
            "UNION SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname IN ('public', 'habits') " +
            "UNION SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()"));

        var createRole = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(api, "CREATE ROLE intruder LOGIN SUPERUSER"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, createRole.SqlState);
        var program = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(api, "CREATE TEMP TABLE shell (line text); COPY shell FROM PROGRAM 'id'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, program.SqlState);
        var readFile = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(api, "SELECT pg_read_file('/etc/passwd')"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, readFile.SqlState);
    }

    [Fact]
    public async Task A_data_directory_made_before_the_role_existed_gets_it_on_the_next_start_and_keeps_its_rows()
    {
        using var data = new ScratchDirectory();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101); // the postgres user must reach it
        string[] args = ["--Ichrisbirch:TestRunner=false", "--Ichrisbirch:PersistentData=true", $"--Ichrisbirch:Local:DataDirectory={data.Path}"];
        var name = $"Before the role {Guid.NewGuid():N}";

        await using (var old = await Stack.StartAsync(args))
        {
            await old.WaitHealthyAsync(Stack.Services);
            using var created = await ApiClient(old).PostAsJsonAsync("/habits/", new { name, category = "c" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            // What the superuser-only code left: everything owned by the superuser, and no application role.
            await using var superuser = await OpenSuperuserAsync(old);
            await ExecuteAsync(superuser, $"REASSIGN OWNED BY {Role} TO postgres; DROP OWNED BY {Role}; DROP ROLE {Role}");
            Assert.Equal(["postgres"], await ColumnAsync(superuser,
                "SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid IN ('habits.habits'::regclass, 'public.tasks'::regclass)"));
        }

        await using var upgraded = await Stack.StartAsync(args);
        await upgraded.WaitHealthyAsync(Stack.Services);
        await using (var api = await OpenAsync(ApiEnvironment(upgraded)))
        {
            Assert.Equal([Role], await ColumnAsync(api,
                "SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid IN ('habits.habits'::regclass, 'public.tasks'::regclass) " +
                "UNION SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()"));
        }
        var client = ApiClient(upgraded);
        var habits = await client.GetFromJsonAsync<JsonElement[]>("/habits/");
        Assert.Contains(habits!, h => h.GetProperty("name").GetString() == name);
        using var written = await client.PostAsJsonAsync("/habits/", new { name = $"After the role {Guid.NewGuid():N}", category = "c" });
        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        Assert.Equal(KnownResourceStates.Finished, upgraded.Notifications.TryGetCurrentState("postgres-init", out var init) ? init.Snapshot.State?.Text : null);
        Assert.Equal(0, init!.Snapshot.ExitCode);
    }

    [Fact]
    public async Task The_role_script_given_an_empty_password_fails_with_a_line_naming_the_parameter_and_changes_nothing()
    {
        // The AppHost and compose refuse an empty secret before anything runs; a Kubernetes Secret passes it through.
        await using var stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false");
        await stack.WaitHealthyAsync(["postgres", "api"]);
        var superuser = new NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync("postgres"));
        var psql = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "psql")).First(File.Exists);
        var (exitCode, output) = await Processes.RunAsync(psql, ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file", Path.Combine(Repository.Root, "AppHost", "Postgres", "app-role.sql")],
            environment: new Dictionary<string, string>
            {
                ["PGHOST"] = superuser.Host!, ["PGPORT"] = superuser.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PGUSER"] = superuser.Username!, ["PGPASSWORD"] = superuser.Password!, ["PGDATABASE"] = "ichrisbirch_test",
                ["POSTGRES_APP_USER"] = Role, ["POSTGRES_APP_PASSWORD"] = "",
            });
        Assert.Equal(3, exitCode);
        Assert.Contains("POSTGRES_APP_USER or POSTGRES_APP_PASSWORD is empty: give the application role a password (AppHost parameter postgres-app-password", output, StringComparison.Ordinal);
        await using var api = await OpenAsync(ApiEnvironment(stack)); // the role's password is unchanged
        Assert.Equal([Role], await ColumnAsync(api, "SELECT current_user::text"));
    }

    private static HttpClient ApiClient(Stack stack)
    {
        var client = stack.Client("api");
        client.DefaultRequestHeaders.Add("X-API-Key", "testing-api-secret-key");
        return client;
    }

    /// <summary>The environment the api's process was started with, as the orchestrator reports it (what the model gave it).</summary>
    private static Dictionary<string, string> ApiEnvironment(Stack stack) => Environment(stack, "api");

    private static Dictionary<string, string> SchedulerEnvironment(Stack stack) => Environment(stack, "scheduler");

    private static Dictionary<string, string> Environment(Stack stack, string resource)
    {
        Assert.True(stack.Notifications.TryGetCurrentState(resource, out var state), $"{resource} has no state");
        return state.Snapshot.EnvironmentVariables.Where(v => v.IsFromSpec).ToDictionary(v => v.Name, v => v.Value ?? "", StringComparer.Ordinal);
    }

    private static async Task<NpgsqlConnection> OpenAsync(Dictionary<string, string> env)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = env["POSTGRES_HOST"],
            Port = int.Parse(env["POSTGRES_PORT"], System.Globalization.CultureInfo.InvariantCulture),
            Database = env["POSTGRES_DB"],
            Username = env["POSTGRES_USERNAME"],
            Password = env["POSTGRES_PASSWORD"],
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<NpgsqlConnection> OpenSuperuserAsync(Stack stack)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync("postgres"))
        {
            Database = "ichrisbirch_test",
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ColumnAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
