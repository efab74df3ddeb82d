"""The SPL Knee Atlas files the build of the ``spl`` geometry set is to read, pinned by sha256.

Neither these files nor any mesh built from them may be committed to the repository.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from explorer.build.sources import SourceError, checked, sha256_of

#: The public repository and revision the pinned files were published at.
REPOSITORY = "https://github.com/stity/spl-knee-atlas"
REVISION = "9dcfbbb525da7575da28227a9275bcdce7cd3482"
FOLDER = "spl-knee-atlas"
#: Where ``--fetch`` downloads the pinned files from; ``$KNEE_EXPLORER_SPL_URL`` overrides it (a mirror).
DOWNLOAD_URL = f"https://raw.githubusercontent.com/stity/spl-knee-atlas/{REVISION}/Data"
URL_VARIABLE = "KNEE_EXPLORER_SPL_URL"
#: The licence that goes with every copy of the atlas and of meshes made from it (shipped with the package).
LICENCE_FILE = Path(__file__).resolve().parents[1] / "licences" / "3D-Slicer-License.txt"

PINNED_SUMS: dict[str, str] = {
    "Model_12_vastus_lateralis_muscle.vtk": "5523b61763ec237b3a5f1d4b5f853383a268c68d769d7d5912b74e1fee5916a7",
    "Model_13_vastus_medialis_muscle.vtk": "e3ec243a261d58e9ece05e191c1eee5d6cbf341429d9679673e31661fe5e69f9",
    "Model_15_biceps_femoris_muscle.vtk": "81d5a3448193dfe92de2ff5ea55571aa9a8ac19eaa6bae780e5fd1f8ebadb7e4",
    "Model_16_semimembranosus_muscle.vtk": "a4befb43e9634d8e18d49a25cdc8c5f734df89523ea67f2e8d6c068ce2ff3f13",
    "Model_17_semitendinosus_muscle.vtk": "b977f33e416b1a5b5d69e8420a06d806ee400721fd7dd18800cdd4052b90c185",
    "Model_18_gracilis_muscle.vtk": "02394cce26a03b84fd9bef59eb4aa9beb41409c1525a671ca3c7ca4501d543c1",
    "Model_19_sartorius_muscle.vtk": "7ccdaf1f01b29ae7c9c44e883d046315bff929804b3e2e104e92ffde550d931d",
    "Model_20_medial_head_gastrocnemius_muscle.vtk": "eafe62e9418ebf68f6648bbeb05fc730260dea2893b699099c0159222b77c894",
    "Model_21_lateral_head_gastrocnemius_muscle.vtk": "7c364bae0a70a792991c5abca2c758099d256a6e20515c7c377845a252e82529",
    "Model_22_popliteus_muscle.vtk": "32ddf5f2d265f456db058c50a934a5e93c49e1008004ab797d64f1e7c6219127",
    "Model_23_soleus_muscle.vtk": "de461765031335d6f64207736f0dc5730221352bb3555ff28af6d9d674bb1ee8",
    "Model_24_tibialis_anterior_muscle.vtk": "802c1af92c4569b14801035b0be6406a280f75ab3a1279226a42af1b754628e5",
    "Model_25_extensor_digitorum_longus_muscle.vtk": "1f5d5bc05309c29e84c62f20ff7acdf5b1385138fd3965afcbc499981d77069b",
    "Model_26_peroneus_longus_muscle.vtk": "e84678f0cd5175dabd5b1473f8f2f03720d95d9a0d980046951f1a251f129905",
    "Model_31_anterior_cruciate_ligament.vtk": "f4aeab5174034fdd2169895933b33b40e17cfdcc78aa762a85044670ac4b48cc",
    "Model_32_posterior_cruciate_ligament.vtk": "ffdb2feb661b2606f87dec7d3a0304dd2318a29b12446a9d68830749c4527cec",
    "Model_33_fibular_collateral_ligament.vtk": "5482480e3ef71613d1c0849c684a6cd6c41b3db0faae621be41a41a713d6b3e1",
    "Model_34_tibial_collateral_ligament.vtk": "7f7ad9eaa19b760987640c722dd70333b8f4d8d810c91d17faf9442b1e2b81fe",
    "Model_35_patellar_ligament.vtk": "dc9c8b345e73d91f169aa34400fe3203c8019c270cd13a0eb8e482129647f60b",
    "Model_41_adductor_magnus_tendon.vtk": "9860ffb5fefcc2a7a07e93989efeccbae12a3bdb37781f25963dfeef5c7e659f",
    "Model_42_biceps_femoris_tendon.vtk": "66f2e8a1f768fa5d7eb20b25c544f6ef7ce75571432030743477c4d9f5317435",
    "Model_43_iliotibial_tract.vtk": "9aaf94ae0ae0476d7fac8a01083d61cba52c05286921b10329ffac3a4840fd06",
    "Model_44_popliteus_tendon.vtk": "352dd43e85b8a4f8e113812929ee55cf91faebd0d97d800a3d9c5cee6d4497c1",
    "Model_46_soleus_tendon.vtk": "53f53ba865a6c81757f27ef2bb3e5ad38fad311e9030735b020d9e3d6f5d2571",
    "Model_47_semitendinosus_tendon.vtk": "1e469d38e4c29bd504ba13364462b2361d2534326dd959c213a17e58628d661c",
    "Model_48_gracilis_tendon.vtk": "543ea886d07c55c6b391b433d343f95e8eed875ef91a7ef589997eeba3ea3577",
    "Model_61_peroneus_nerve.vtk": "1175d8da01cd8a96338a8059ed6a04ecd4f1012c01eae9347682282c5936bef0",
    "Model_62_tibialis_nerve.vtk": "a87a7680f3fccc2ae84e0be30b1e734eb22a4dcb6373a54fca42df3611847d9f",
    "Model_63_muscular_branches_tibialis_nerve.vtk": "8736f92afc6e4036b20d0840db0b015b5ca193f87017488f6ae8b055001d1a63",
    "Model_64_medial_sural_cutaneous_nerve.vtk": "990ee130b885cb77dda7ed854a14e16ac79ac48d2785845dad7bf44d444a7e2a",
    "Model_71_popliteal_artery.vtk": "200afae4b6627d985a2e82ce00a76424bab9c41542bdff94f9dcaaf8563f87c4",
    "Model_72_popliteal_vein.vtk": "cc6f81ee36176f09d17e38a4eb6d2879fe22cb4e47010ab4a1c07cc3494fd0ef",
    "Model_73_superior_medial_genicular_artery.vtk": "7278f477e0f9b8df367fb24bf7d3cb0b113c9d6d7ae3bb7c0c3f63a4d6f5c59a",
    "Model_74_superior_lateral_genicular_artery.vtk": "03cfe100d63fd29ef6caf0a5e19236b84bd313f9878bfc8b641909f29e66360c",
    "Model_75_middle_genicular_artery.vtk": "e612e1cfadf55e7532cbcd14ffddb1f884fda58cff007e9adb7aaa4ae60762fd",
    "Model_77_great_saphenous_vein.vtk": "31b01181488a90060bb56fd4ef745f267a06ad8d00a5f3597222b777be5f04eb",
    "Model_78_small_saphenous_vein.vtk": "6b01fe97a248d4f4fdfa71fe6fe830a2968ade2d23535241cc0631fffb5be97d",
    "Model_81_lateral_meniscus.vtk": "c161104052b12ef8ad84e2634d0bc75d3d2fd31b87bf10fd40a9fb1f4452b96a",
    "Model_82_medial_meniscus.vtk": "5d347c130656a21af2c9fc5066a55b45df4129a8c415bd4cc8bc39949100ba29",
    "Model_83_femoral_cartilage.vtk": "e57c5b6d3831051dcef49e9db53fdee7010aaa67b9dab1eb9f1c66bd6a170678",
    "Model_84_lateral_tibial_cartilage.vtk": "39f1cf56e230f8ab8cc37d234aeb95899e93f25cf667cd658da3ef8a8ee70ab0",
    "Model_85_medial_tibial_cartilage.vtk": "478f40e578961a33d31479f91fc64a246a163c2e06a1df42accda62f577be838",
    "Model_86_patellar_cartilage.vtk": "655e2d22eaa107c14983d6404fcd634418ec04a5f2702a4921a95a218cd3afcb",
    "Model_96_tibia.vtk": "f37da13f3a5bf4165647358be9f1418fc3a2b4bc6742ceaea57ea5f934b24283",
    "Model_97_fibula.vtk": "5ad311858fd4ed44999328d0c3d2fca8b1a8aa9ff8390788ca05dee13e6abc49",
    "Model_98_patella.vtk": "592fdfbb7dda4b1a9fe89a5c2d3cc1b5eacfed12490eceda92c3d1d0958ede76",
    "Model_9_infrapatellar_fat_body.vtk": "68b27ab4daea14a7049573926c3330c6d1e28dff6ad6192904b29bf2ad0ee1d3",
    "seg.nrrd": "7b1eba4d06a24d8d769fe0342bf57042d6a6d3afb67da04f2749f62007670091",
}


def model_files() -> dict[int, str]:
    """Label number -> file name of each of the atlas's own surface models.

    Examples
    --------
    >>> model_files()[96]
    'Model_96_tibia.vtk'
    """
    return {int(re.match(r"Model_(\d+)_", name).group(1)): name for name in PINNED_SUMS if name.startswith("Model_")}


def verify(folder: Path) -> dict[str, Path]:
    """Check every pinned file in ``folder`` (the ``spl-knee-atlas`` data folder); return paths by file name.

    Raises
    ------
    SourceError
        Naming the first file that is missing or whose sha256 differs.
    """
    return {name: checked(Path(folder) / name, expected, "build-meshes --fetch downloads it")
            for name, expected in PINNED_SUMS.items()}


def fetch(folder: Path, base_url: str | None = None, log=print) -> dict[str, Path]:
    """Download every pinned file missing or wrong in ``folder`` from ``base_url`` and check its sha256.

    Each file is written under a temporary name and renamed only once its sum is right, so a failed
    download leaves nothing half written.

    Raises
    ------
    SourceError
        For a file that cannot be downloaded or does not match its pinned sum.
    """
    base_url = (base_url or os.environ.get(URL_VARIABLE) or DOWNLOAD_URL).rstrip("/")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, expected in PINNED_SUMS.items():
        target = folder / name
        if target.is_file() and sha256_of(target) == expected:
            continue
        url = f"{base_url}/{name}"
        log(f"downloading {url}")
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", delete=False) as part:
            partial = Path(part.name)
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        part.write(block)
            except (urllib.error.URLError, OSError) as error:
                part.close()
                partial.unlink(missing_ok=True)
                raise SourceError(f"{url}: download failed ({error})") from None
        actual = sha256_of(partial)
        if actual != expected:
            partial.unlink()
            raise SourceError(f"{url}: sha256 is {actual}, expected {expected}")
        partial.replace(target)
    return verify(folder)
