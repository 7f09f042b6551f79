using Aspire.Hosting;

namespace Ichrisbirch.Tests.Hosting.LocalPostgres;

/// <summary>Local mode runs the pinned PostgreSQL major version, the one Containers mode and compose use.</summary>
public class LocalPostgresVersionTests
{
    private static string BinDirectory()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")));
        Assert.True(bin is not null, "PostgreSQL is not installed: run scripts/bootstrap.sh");
        return bin;
    }

    private static string Major(string bin) => Path.GetFileName(Path.GetDirectoryName(bin))!;

    [Fact]
    public async Task Binaries_and_data_directory_of_the_pinned_major_pass()
    {
        var bin = BinDirectory();
        var data = Directory.CreateTempSubdirectory("pg-version-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), Major(bin) + "\n");
            Assert.Null(await LocalPostgresServerFiles.VersionMismatchAsync("postgres", bin, data, Major(bin), CancellationToken.None));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Binaries_of_another_major_stop_with_one_line_naming_the_version_and_the_fix()
    {
        var bin = BinDirectory();
        var message = await LocalPostgresServerFiles.VersionMismatchAsync("postgres", bin, "/nonexistent", "99", CancellationToken.None);
        Assert.Equal($"postgres: the PostgreSQL binaries in {bin} are version {Major(bin)}, but the pinned major version is 99; " +
                     "install PostgreSQL 99 (Debian: apt-get install postgresql-99) and point the bin directory at it, or change the pin.", message);
    }

    [Fact]
    public async Task A_data_directory_made_by_another_major_stops_with_one_line()
    {
        var bin = BinDirectory();
        var data = Directory.CreateTempSubdirectory("pg-version-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "18\n");
            var message = await LocalPostgresServerFiles.VersionMismatchAsync("postgres", bin, data, Major(bin), CancellationToken.None);
            Assert.Equal($"postgres: the data directory {data} was made by PostgreSQL 18, but the pinned major version is {Major(bin)}; " +
                         $"move that folder away (or pg_upgrade it to {Major(bin)}), or change the pin.", message);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_pin_in_appsettings_json_is_the_major_Local_mode_finds_here()
    {
        using var settings = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "AppHost", "appsettings.json")));
        Assert.Equal(Major(BinDirectory()), settings.RootElement.GetProperty("Ichrisbirch").GetProperty("PostgresVersion").GetString());
    }
}
