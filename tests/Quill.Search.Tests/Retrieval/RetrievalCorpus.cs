// Sixteen short documents on different topics, and questions whose answer each holds: the retrieval tests' fixture.
namespace Quill.Search.Tests.Retrieval;

internal static class RetrievalCorpus
{
    /// <summary>File name → text. Two pump data sheets and two error tables differ mostly in their codes, on purpose.</summary>
    public static readonly IReadOnlyDictionary<string, string> Documents = new Dictionary<string, string>
    {
        ["router.md"] = "# Home router\nTo reset the router, hold the reset button on the back for ten seconds until the lights blink.\n" +
            "The wifi password is printed on the sticker under the router.\n",
        ["sourdough.md"] = "# Sourdough bread\nFeed the starter with equal weights of flour and water the night before.\n" +
            "Shape the dough, let it rise for four hours, then bake it at 230 degrees Celsius for forty minutes.\n",
        ["tides.md"] = "# Tides\nOcean tides are caused mostly by the gravity of the moon pulling on the water.\n" +
            "Spring tides, the largest, come at new moon and full moon when the sun and moon line up.\n",
        ["photosynthesis.md"] = "# Photosynthesis\nPlants turn sunlight, water and carbon dioxide into sugar in their leaves.\n" +
            "The green pigment chlorophyll absorbs the light, and oxygen is released as a by-product.\n",
        ["vacation-policy.md"] = "# Vacation policy\nEvery employee gets twenty-five days of paid leave per year.\n" +
            "Request time off at least two weeks in advance through the HR portal; unused days expire in March.\n",
        ["python-venv.md"] = "# Python virtual environments\nCreate one with python -m venv .venv in the project folder.\n" +
            "Activate it with source .venv/bin/activate, then install packages with pip.\n",
        ["marathon.md"] = "# The marathon\nA marathon race is 42.195 kilometres long.\n" +
            "Legend says the messenger Pheidippides ran from Marathon to Athens to announce a victory.\n",
        ["espresso.md"] = "# Espresso\nPull a shot with about 18 grams of finely ground coffee at nine bars of pressure.\n" +
            "The shot should take twenty-five to thirty seconds and yield about 36 grams.\n",
        ["pump-hx2210.md"] = "# Pump HX-2210 data sheet\nThe HX-2210 circulation pump delivers up to 40 litres per minute.\n" +
            "Its maximum operating pressure is 6 bar and it draws 90 watts.\n",
        ["pump-qv9318.md"] = "# Pump QV-9318 data sheet\nThe QV-9318 circulation pump delivers up to 75 litres per minute.\n" +
            "Its maximum operating pressure is 10 bar and it draws 160 watts.\n",
        ["sync-errors.md"] = "# Sync client errors\nERR_SYNC_7731: the server refused the client certificate; renew it with syncctl cert renew.\n" +
            "ERR_SYNC_7740: the local database is locked by another process.\n",
        ["printer-errors.md"] = "# Printer errors\nCode P-118 means the paper tray is empty.\nCode P-240 means the toner cartridge is not seated.\n",
        ["volcanoes.md"] = "# Volcanoes\nMount Etna in Sicily is the most active volcano in Europe.\n" +
            "Its eruptions are mostly lava flows and ash, and it has erupted for at least half a million years.\n",
        ["chess.md"] = "# Chess rules\nCastling moves the king two squares towards a rook, and the rook jumps over the king.\n" +
            "You may not castle out of check or if either piece has already moved.\n",
        ["taxes.md"] = "# Income tax\nThe filing deadline for the yearly return is April 15.\n" +
            "Late filers pay a penalty of five percent of the unpaid tax per month.\n",
        ["project-heron.md"] = "# Project Heron\nProject Heron is the internal codename for the new billing system.\n" +
            "It is led by Ingrid Vasquez-Olmo and is planned to launch in the third quarter.\n",
    };

    /// <summary>Questions in users' words, and the one file that answers each.</summary>
    public static readonly (string Question, string File)[] Questions =
    [
        ("how do I reset my router", "router.md"),
        ("where can I find the wifi password", "router.md"),
        ("what temperature should I bake the bread at", "sourdough.md"),
        ("why does the sea level rise and fall every day", "tides.md"),
        ("how do plants make their food from light", "photosynthesis.md"),
        ("how many days off do employees get", "vacation-policy.md"),
        ("how do I set up an isolated python environment", "python-venv.md"),
        ("how long is a marathon", "marathon.md"),
        ("how long should an espresso shot take", "espresso.md"),
        ("what is the most active volcano in Europe", "volcanoes.md"),
        ("can the king castle while in check", "chess.md"),
        ("when is the tax return due", "taxes.md"),
        ("who leads the billing system project", "project-heron.md"),
        ("what does it mean when the printer tray is empty", "printer-errors.md"),
        ("the sync client says the certificate was refused", "sync-errors.md"),
        ("maximum pressure of the QV-9318", "pump-qv9318.md"),
        ("what does ERR_SYNC_7740 mean", "sync-errors.md"),
        // Exact terms: a rare name and bare codes that all-MiniLM-L6-v2 alone ranks elsewhere (see RetrievalQualityTests).
        ("who is Ingrid Vasquez-Olmo", "project-heron.md"),
        ("7740", "sync-errors.md"),
        ("2210", "pump-hx2210.md"),
    ];

    /// <summary>Writes the documents under FOLDER/docs and returns that folder.</summary>
    public static string WriteTo(TempFolder temp)
    {
        foreach ((string name, string text) in Documents) temp.Write($"docs/{name}", text);
        return temp.File("docs");
    }
}
