from ui.lesson import section
from ui.lessons import classic_networks

section("classic_networks", "intro", level="title")
if section("classic_networks", "alexnet"):
    classic_networks.alexnet()
if section("classic_networks", "recipe"):
    classic_networks.recipe()
if section("classic_networks", "demo"):
    classic_networks.recipe_demo()
if section("classic_networks", "vgg"):
    classic_networks.vgg()
