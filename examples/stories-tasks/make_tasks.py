# Writes the toy prompt->label tasks for stories260K (deterministic). Run: python3 make_tasks.py
import json, random
rnd = random.Random(7)
names = ["Lily", "Tom", "Sue", "Ben", "Mia", "Max", "Anna", "Tim", "Lucy", "Sam"]
places = ["park", "garden", "house", "school", "beach", "forest"]
happy = ["She smiled and laughed all day.", "She was very happy and played with her friends.", "She had a big smile on her face.",
         "She danced and sang a happy song.", "She hugged her mom and felt good."]
sad = ["She cried and felt very sad.", "She was sad and did not want to play.", "Tears came down her face.",
       "She sat alone and felt bad.", "She lost her toy and was very sad."]
pets = {"dog": ["The dog liked to bark.", "The dog wagged its tail.", "The dog ran after the ball."],
        "cat": ["The cat liked to purr.", "The cat slept in the sun.", "The cat chased a little mouse."],
        "fish": ["The fish swam in the bowl.", "The fish was orange and shiny.", "The fish blew little bubbles."]}
weather = {"sunny": ["The sun was hot and bright.", "The sky was blue and the sun was shining."],
           "rainy": ["The rain fell all day.", "It was wet and there were big puddles."]}

def write(name, rows):
    with open(name, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")

for split, n in [("train", 300), ("eval", 100)]:
    mood, pet, sky = [], [], []
    for _ in range(n):
        who, where = rnd.choice(names), rnd.choice(places)
        label = rnd.choice(["happy", "sad"])
        mood.append({"text": f"{who} went to the {where}. " + rnd.choice(happy if label == "happy" else sad), "label": label})
        animal = rnd.choice(list(pets))
        pet.append({"text": f"{who} had a pet {animal}. " + rnd.choice(pets[animal]), "label": animal})
        w = rnd.choice(list(weather))
        sky.append({"text": f"One day {who} looked outside. " + rnd.choice(weather[w]), "label": w})
    write(f"mood.{split}.jsonl", mood)
    write(f"pet.{split}.jsonl", pet)
    write(f"weather.{split}.jsonl", sky)
